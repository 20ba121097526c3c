package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

// secFlags are the run flags for transport security, request limits and
// files written from outputs.
type secFlags struct {
	insecure       bool
	clientCerts    []string
	outputDir      string
	requestTimeout time.Duration
	maxBody        string
	maxRedirects   int

	// names remembers the Content-Disposition file name of binary
	// response bodies, by the address of the body's first byte: an output
	// whose value is that very body is saved under that name.
	mu    sync.Mutex
	names map[*byte]string
}

func (s *secFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&s.insecure, "insecure", false, "do not verify TLS certificates of step requests (printed in the summary)")
	fl.StringArrayVar(&s.clientCerts, "client-cert", nil, "client certificate for mTLS, HOST=CERT.pem,KEY.pem, presented to HOST only (repeatable; HOST may have :PORT)")
	fl.StringVar(&s.outputDir, "output-dir", "", "save workflow outputs whose values are binary bodies as files in this directory")
	fl.DurationVar(&s.requestTimeout, "request-timeout", runner.DefaultTimeout, "bound each HTTP request, transport retries and body included")
	fl.StringVar(&s.maxBody, "max-body", "64MiB", "largest response body read (e.g. 512KiB, 64MiB, 1GiB, or bytes)")
	fl.IntVar(&s.maxRedirects, "max-redirects", runner.DefaultMaxRedirects, "redirects a step request follows at most")
}

// engineOptions turns the flags into engine options; errors are usage errors.
func (s *secFlags) engineOptions() ([]engine.Option, error) {
	var opts []engine.Option
	if s.insecure {
		opts = append(opts, engine.WithInsecure())
	}
	for _, spec := range s.clientCerts {
		host, files, ok := strings.Cut(spec, "=")
		certFile, keyFile, ok2 := strings.Cut(files, ",")
		if !ok || !ok2 || host == "" || certFile == "" || keyFile == "" {
			return nil, fmt.Errorf("--client-cert %q: want HOST=CERT.pem,KEY.pem", spec)
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--client-cert %s: %v", host, err)
		}
		opts = append(opts, engine.WithClientCert(host, cert))
	}
	if s.requestTimeout <= 0 {
		return nil, fmt.Errorf("--request-timeout %s: want a positive duration such as 30s", s.requestTimeout)
	}
	opts = append(opts, engine.WithRequestTimeout(s.requestTimeout))
	n, err := parseSize(s.maxBody)
	if err != nil {
		return nil, fmt.Errorf("--max-body %q: %v", s.maxBody, err)
	}
	opts = append(opts, engine.WithMaxBodyBytes(n))
	if s.maxRedirects < 0 {
		return nil, fmt.Errorf("--max-redirects %d: want 0 or more", s.maxRedirects)
	}
	if s.maxRedirects == 0 {
		// Follow none: any redirect fails the request.
		opts = append(opts, engine.WithMaxRedirects(-1))
	} else {
		opts = append(opts, engine.WithMaxRedirects(s.maxRedirects))
	}
	if s.outputDir != "" {
		if st, err := os.Stat(s.outputDir); err == nil && !st.IsDir() {
			return nil, fmt.Errorf("--output-dir %s: not a directory", s.outputDir)
		}
		opts = append(opts, engine.WithObserver(runner.ObserverFunc(s.observe)))
	}
	return opts, nil
}

// parseSize reads a byte count with an optional KB/KiB/MB/MiB/GB/GiB suffix.
func parseSize(v string) (int64, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive size such as 64MiB")
	}
	return n * mult, nil
}

// observe remembers Content-Disposition file names of binary bodies.
func (s *secFlags) observe(e runner.Event) {
	ev, ok := e.(runner.StepAttempt)
	if !ok || ev.Response == nil || len(ev.Response.Body) == 0 {
		return
	}
	cd := ev.Response.Header.Get("Content-Disposition")
	if cd == "" {
		return
	}
	_, params, err := mime.ParseMediaType(cd)
	if err != nil || params["filename"] == "" {
		return
	}
	s.mu.Lock()
	if s.names == nil {
		s.names = map[*byte]string{}
	}
	s.names[&ev.Response.Body[0]] = params["filename"]
	s.mu.Unlock()
}

// savedFile is one output written to --output-dir.
type savedFile struct {
	WorkflowID string `json:"workflowId"`
	Output     string `json:"output"`
	Path       string `json:"path"`
	Bytes      int    `json:"bytes"`
}

// writeOutputs saves the binary workflow outputs of results as files in
// the output directory, confined to it: names come from the response's
// Content-Disposition when that is a plain file name, else from the output
// name, and are written through os.Root, so that no name ("../x", "/etc/x",
// "C:\x", a symbolic link planted in the directory) can escape it.
func (s *secFlags) writeOutputs(results []*engine.Result) ([]savedFile, error) {
	if s.outputDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(s.outputDir, 0o755); err != nil {
		return nil, fmt.Errorf("--output-dir: %w", err)
	}
	root, err := os.OpenRoot(s.outputDir)
	if err != nil {
		return nil, fmt.Errorf("--output-dir: %w", err)
	}
	defer root.Close()
	var saved []savedFile
	used := map[string]bool{}
	for _, res := range results {
		names := make([]string, 0, len(res.Outputs))
		for n := range res.Outputs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, out := range names {
			data, ok := res.Outputs[out].([]byte)
			if !ok {
				continue
			}
			name := ""
			if len(data) > 0 {
				s.mu.Lock()
				name = safeFileName(s.names[&data[0]])
				s.mu.Unlock()
			}
			if name == "" {
				name = safeFileName(out)
			}
			if name == "" {
				name = "output"
			}
			if used[name] {
				name = safeFileName(res.WorkflowID + "-" + out)
				for i := 2; used[name] || name == ""; i++ {
					name = fmt.Sprintf("output-%d", i)
				}
			}
			used[name] = true
			if err := writeInRoot(root, name, data); err != nil {
				return saved, fmt.Errorf("--output-dir: output %s of %s: %w", out, res.WorkflowID, err)
			}
			saved = append(saved, savedFile{WorkflowID: res.WorkflowID, Output: out, Path: filepath.Join(s.outputDir, name), Bytes: len(data)})
		}
	}
	return saved, nil
}

func writeInRoot(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// safeFileName returns name when it is a plain file name safe to create
// in a directory — one path element, not "." or "..", no separator of any
// platform, no control characters, valid UTF-8, at most 200 bytes — and
// "" otherwise. Hostile names are refused rather than repaired, so that
// "../../etc/passwd" never becomes "passwd" by accident.
func safeFileName(name string) string {
	if name == "" || len(name) > 200 || !utf8.ValidString(name) || name == "." || name == ".." {
		return ""
	}
	if strings.ContainsAny(name, `/\:`) || strings.HasPrefix(name, "~") {
		return ""
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return ""
		}
	}
	if !filepath.IsLocal(name) || filepath.Base(name) != name {
		return ""
	}
	return name
}

// report prints what the flags changed about the run, after the summary.
func (s *secFlags) report(w io.Writer, saved []savedFile) {
	for _, f := range saved {
		fmt.Fprintf(w, "saved output %s of %s to %s (%d bytes)\n", f.Output, f.WorkflowID, f.Path, f.Bytes)
	}
	if s.insecure {
		fmt.Fprintln(w, "warning: TLS certificate verification was OFF for this run (--insecure)")
	}
}
