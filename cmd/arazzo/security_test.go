package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const secAPI = `openapi: 3.0.3
info: {title: files, version: "1"}
paths:
  /file:
    get:
      operationId: getFile
      responses: {"200": {description: ok}}
`

// secFlow downloads /file and exposes the body as the workflow output
// named output.
func secFlow(output string) string {
	return `arazzo: 1.0.1
info: {title: files, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: download
    steps:
      - stepId: get
        operationId: getFile
        outputs: {data: $response.body}
    outputs:
      ` + output + `: $steps.get.outputs.data
`
}

func secFixture(t *testing.T, output string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(secAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flow.yaml")
	if err := os.WriteFile(path, []byte(secFlow(output)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func quietTLS(srv *httptest.Server) {
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
}

func TestRunInsecureIsExplicitAndReported(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	quietTLS(srv)
	srv.StartTLS()
	defer srv.Close()
	flow := secFixture(t, "file")
	code, out, errs := runCLI("run", flow, "--server", "api="+srv.URL, "--no-color")
	if code != exitFailed || !strings.Contains(out+errs, "certificate") {
		t.Errorf("self-signed server without --insecure: exit %d, want 1 with a certificate error:\n%s%s", code, out, errs)
	}
	if strings.Contains(out, "--insecure") {
		t.Errorf("the insecure warning appears without --insecure:\n%s", out)
	}
	code, out, errs = runCLI("run", flow, "--server", "api="+srv.URL, "--no-color", "--insecure")
	if code != exitOK || !strings.Contains(out, "warning: TLS certificate verification was OFF for this run (--insecure)") {
		t.Errorf("--insecure: exit %d, want 0 and the warning in the summary:\n%s%s", code, out, errs)
	}
	for _, insecure := range []bool{false, true} {
		args := []string{"run", flow, "--server", "api=" + srv.URL, "--format", "json"}
		if insecure {
			args = append(args, "--insecure")
		}
		_, out, _ = runCLI(args...)
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("json: %v\n%s", err, out)
		}
		if got, _ := rep["insecure"].(bool); got != insecure {
			t.Errorf("--insecure=%v: JSON insecure = %v", insecure, rep["insecure"])
		}
	}
}

// clientPKI makes a CA and a client certificate it signed, written as PEM
// files.
func clientPKI(t *testing.T) (pool *x509.CertPool, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, key := newKey(), newKey()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cli test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "cli-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, certFile, keyFile
}

func TestRunClientCertFlag(t *testing.T) {
	pool, certFile, keyFile := clientPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"client":%q}`, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	quietTLS(srv)
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	flow := secFixture(t, "file")
	base := []string{"run", flow, "--server", "api=" + srv.URL, "--insecure", "--format", "json"}

	code, out, errs := runCLI(append(base, "--client-cert", host+"="+certFile+","+keyFile)...)
	if code != exitOK || !strings.Contains(out, `"client": "cli-client"`) {
		t.Errorf("mTLS with --client-cert: exit %d:\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(append(base, "--client-cert", "other.example="+certFile+","+keyFile)...)
	if code != exitFailed || !strings.Contains(out, "certificate") {
		t.Errorf("certificate for another host: exit %d, want 1 (not presented, handshake refused):\n%s%s", code, out, errs)
	}
	for spec, want := range map[string]string{
		host:                                   "want HOST=CERT.pem,KEY.pem",
		host + "=" + certFile:                  "want HOST=CERT.pem,KEY.pem",
		host + "=" + certFile + ",missing.pem": "missing.pem",
		host + "=" + keyFile + "," + certFile:  "--client-cert " + host,
	} {
		code, _, errs := runCLI(append(base, "--client-cert", spec)...)
		if code != exitInvalid || !strings.Contains(errs, want) {
			t.Errorf("--client-cert %s: exit %d, want 2 with %q: %s", spec, code, want, errs)
		}
	}
}

// listFiles returns every file and symbolic link under root, relative.
func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestRunOutputDirConfinement(t *testing.T) {
	payload := []byte("\x00\x01binary backup\xff")
	var mu sync.Mutex
	disposition := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cd := disposition
		mu.Unlock()
		if cd != "" {
			w.Header()["Content-Disposition"] = []string{cd}
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(payload)
	}))
	defer srv.Close()
	tests := []struct {
		output, disposition, want string
	}{
		{"backup", "", "backup"},
		{"backup", `attachment; filename="db-2026.dump"`, "db-2026.dump"},
		{"backup", `attachment; filename="../../evil.dump"`, "backup"},
		{"backup", `attachment; filename="/etc/evil.dump"`, "backup"},
		{"backup", `attachment; filename="..\\..\\evil.dump"`, "backup"},
		{"backup", `attachment; filename*=UTF-8''..%2F..%2Fevil.dump`, "backup"},
		{"backup", `attachment; filename=".."`, "backup"},
		{"backup", `attachment; filename="C:evil.dump"`, "backup"},
		{"backup", `attachment; filename="sub/dir.dump"`, "backup"},
		{"..", "", "output"},
		{"..", `attachment; filename="../x"`, "output"},
	}
	for _, tc := range tests {
		t.Run(tc.output+" "+tc.disposition, func(t *testing.T) {
			mu.Lock()
			disposition = tc.disposition
			mu.Unlock()
			flow := secFixture(t, tc.output)
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			code, out, errs := runCLI("run", flow, "--server", "api="+srv.URL, "--no-color", "--output-dir", dir)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s%s", code, out, errs)
			}
			if got := listFiles(t, parent); len(got) != 1 || got[0] != filepath.Join("out", tc.want) {
				t.Fatalf("files written %v, want only out/%s", got, tc.want)
			}
			data, _ := os.ReadFile(filepath.Join(dir, tc.want))
			if string(data) != string(payload) {
				t.Errorf("file content %q", data)
			}
			if !strings.Contains(out, "saved output "+tc.output+" of download to "+filepath.Join(dir, tc.want)) {
				t.Errorf("summary does not say where the output went:\n%s", out)
			}
		})
	}

	t.Run("planted symbolic link", func(t *testing.T) {
		mu.Lock()
		disposition = ""
		mu.Unlock()
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		os.MkdirAll(dir, 0o755)
		if err := os.Symlink(filepath.Join(parent, "outside.dump"), filepath.Join(dir, "backup")); err != nil {
			t.Skip("no symbolic links here:", err)
		}
		code, out, errs := runCLI("run", secFixture(t, "backup"), "--server", "api="+srv.URL, "--no-color", "--output-dir", dir, "--format", "json")
		if code != exitFailed || !strings.Contains(errs, "--output-dir: output backup of download") {
			t.Errorf("exit %d, want 1 with the refused write explained:\n%s%s", code, out, errs)
		}
		if _, err := os.Lstat(filepath.Join(parent, "outside.dump")); err == nil {
			t.Errorf("the write followed the link out of the output directory")
		}
	})

	t.Run("JSON lists the files", func(t *testing.T) {
		mu.Lock()
		disposition = `attachment; filename="db.dump"`
		mu.Unlock()
		dir := filepath.Join(t.TempDir(), "out")
		code, out, _ := runCLI("run", secFixture(t, "backup"), "--server", "api="+srv.URL, "--output-dir", dir, "--format", "json")
		var rep struct {
			Files []savedFile `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK {
			t.Fatalf("exit %d, %v\n%s", code, err, out)
		}
		want := savedFile{WorkflowID: "download", Output: "backup", Path: filepath.Join(dir, "db.dump"), Bytes: len(payload)}
		if len(rep.Files) != 1 || rep.Files[0] != want {
			t.Errorf("files %+v, want %+v", rep.Files, want)
		}
	})
}

func TestSafeFileName(t *testing.T) {
	for name, want := range map[string]string{
		"backup.dump": "backup.dump", ".hidden": ".hidden", "a b (1).tar.gz": "a b (1).tar.gz",
		"": "", ".": "", "..": "", "../x": "", "x/..": "", "/etc/passwd": "", `..\x`: "", `C:\x`: "", "C:x": "",
		"~root": "", "a\x00b": "", "a\nb": "", "\xff\xfe": "", strings.Repeat("a", 201): "",
	} {
		if got := safeFileName(name); got != want {
			t.Errorf("safeFileName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestRunLimitFlags(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(make([]byte, 4096))
	}))
	defer srv.Close()
	flow := secFixture(t, "file")
	code, out, errs := runCLI("run", flow, "--server", "api="+srv.URL, "--max-body", "1KiB", "--no-color")
	if code != exitFailed || !strings.Contains(out+errs, "response body too large") {
		t.Errorf("--max-body 1KiB on a 4 KiB body: exit %d:\n%s%s", code, out, errs)
	}
	for _, bad := range [][]string{{"--max-body", "lots"}, {"--max-body", "-1"}, {"--request-timeout", "0s"}, {"--max-redirects", "-2"}} {
		if code, _, errs := runCLI(append([]string{"run", flow, "--server", "api=" + srv.URL}, bad...)...); code != exitInvalid || !strings.Contains(errs, bad[0]) {
			t.Errorf("%v: exit %d, want 2 naming the flag: %s", bad, code, errs)
		}
	}
}

// TestNoCodeExecutionReachable keeps process execution, plugins and
// template engines out of every package that reads or evaluates
// documents: expressions and criteria are data for this project's own
// evaluator, so nothing a document says can run code. (The CLI's help
// output uses text/template through cobra; that is not reachable from a
// document.)
func TestNoCodeExecutionReachable(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: the go tool is not on PATH, cannot list dependencies")
	}
	forbidden := map[string]bool{"os/exec": true, "plugin": true, "text/template": true, "html/template": true}
	pkgs := []string{"arazzo", "expression", "openapi", "runner", "engine", "internal/fetch"}
	for _, p := range pkgs {
		cmd := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "github.com/go-arazzo/arazzo/"+p)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p, err)
		}
		imports := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			pkg, deps, _ := strings.Cut(line, ":")
			imports[pkg] = strings.Fields(deps)
		}
		for pkg := range imports {
			if forbidden[pkg] {
				t.Errorf("%s reaches %s: %s", p, pkg, chain(imports, "github.com/go-arazzo/arazzo/"+p, pkg))
			}
		}
		if len(imports) < 5 {
			t.Errorf("go list %s listed only %d packages: %s", p, len(imports), out)
		}
	}
	// The CLI binary runs no processes and loads no plugins either.
	out, err := exec.Command(goTool, "list", "-deps", "github.com/go-arazzo/arazzo/cmd/arazzo").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "os/exec" || pkg == "plugin" {
			t.Errorf("the arazzo command reaches %s", pkg)
		}
	}
}

// chain returns an import path from root to target (breadth first).
func chain(imports map[string][]string, root, target string) string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == target {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return strings.Join(path, " → ")
		}
		for _, d := range imports[p] {
			if _, seen := prev[d]; !seen {
				prev[d] = p
				queue = append(queue, d)
			}
		}
	}
	return "(path not found)"
}
