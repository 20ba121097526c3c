package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

// The durable-run proof: the CLI runs the backup → poll → restore flow
// with --state and is killed with SIGKILL at every point of it — before a
// request reaches the service, after the service acted but before the
// answer came back, and after the answer arrived — then 'arazzo resume'
// finishes the run. Exactly one backup and one restore must have happened,
// the data must be restored, and the outputs must be those of an
// uninterrupted run.

// durableFlow writes the robust workflow, made resumable: every request
// carries an Idempotency-Key from the input runId (backupd honours it), and
// polls wait 50 ms so that the test is fast.
func durableFlow(t *testing.T) string {
	t.Helper()
	root := testutil.ModuleRoot(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "workflows", robustFlow))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for old, repl := range map[string]string{
		"  parameters:\n  - name: Authorization\n": "  parameters:\n  - name: Idempotency-Key\n    in: header\n    value: $inputs.runId\n  - name: Authorization\n",
		"    properties:\n      apiToken:\n":       "    properties:\n      runId:\n        type: string\n      apiToken:\n",
		"retryAfter: 1\n":                          "retryAfter: 0.05\n",
	} {
		if !strings.Contains(doc, old) {
			t.Fatalf("the robust workflow changed shape; update durableFlow (missing %q)", old)
		}
		doc = strings.Replace(doc, old, repl, 1)
	}
	os.MkdirAll(filepath.Join(dir, "arazzo"), 0o755)
	os.MkdirAll(filepath.Join(dir, "openapi"), 0o755)
	api, err := os.ReadFile(filepath.Join(root, "workflows", "openapi", "prisma-postgres-management-openapi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "openapi", "prisma-postgres-management-openapi.yml"), api, 0o644)
	path := filepath.Join(dir, "arazzo", "durable.arazzo.yaml")
	os.WriteFile(path, []byte(doc), 0o644)
	return path
}

// killPhase is where in an exchange the CLI is killed.
type killPhase int

const (
	killBeforeService killPhase = iota // the request reached the proxy, not the service
	killAfterService                   // the service acted; the answer was not delivered
	killAfterAnswer                    // the answer was delivered
)

func (p killPhase) String() string {
	return [...]string{"before-service", "after-service", "after-answer"}[p]
}

// sideEffects counts what the service really did: POSTs it processed
// (not replayed from its idempotency cache).
type sideEffects struct {
	mu       sync.Mutex
	requests int
	backups  int
	restores int
}

// killingProxy forwards to target and, at request number at (1-based) in
// phase, calls kill and never answers that request.
func killingProxy(t *testing.T, target string, fx *sideEffects, at int, phase killPhase, kill func()) *httptest.Server {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fx.mu.Lock()
		fx.requests++
		n := fx.requests
		fx.mu.Unlock()
		if n == at && phase == killBeforeService {
			kill() // returns once the client is dead: it never gets an answer
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && rec.Header().Get("Idempotent-Replayed") == "" && rec.Code < 300 {
			fx.mu.Lock()
			if strings.HasSuffix(r.URL.Path, "/backups") {
				fx.backups++
			} else if strings.HasSuffix(r.URL.Path, "/restore") {
				fx.restores++
			}
			fx.mu.Unlock()
		}
		if n == at && phase == killAfterService {
			kill()
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if n == at && phase == killAfterAnswer {
			kill()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// killSwitch lets the proxy kill the CLI: pull closes fire and waits
// until the process is dead.
type killSwitch struct {
	once sync.Once
	fire chan struct{}
	dead chan struct{}
}

func newKillSwitch() *killSwitch {
	return &killSwitch{fire: make(chan struct{}), dead: make(chan struct{})}
}

func (k *killSwitch) pull() {
	k.once.Do(func() { close(k.fire) })
	<-k.dead
}

type cliOutcome struct {
	code   int
	stdout string
	stderr string
	killed bool
}

// runDurable runs the CLI with args, killing it with SIGKILL when the
// proxy says so.
func runDurable(t *testing.T, bin string, kill *killSwitch, args ...string) cliOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(bin) // not the documents' tree: --allow-path must widen it
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	var killc <-chan struct{}
	if kill != nil {
		killc = kill.fire
	}
	select {
	case <-killc:
		cmd.Process.Kill() // SIGKILL: no chance to clean up
		<-done
		killed = true
		close(kill.dead)
	case <-done:
	}
	return cliOutcome{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String(), killed: killed}
}

func workflowOutputs(t *testing.T, stdout string) (string, map[string]any) {
	t.Helper()
	var rep struct {
		Workflows []struct {
			Status  string         `json:"status"`
			Outputs map[string]any `json:"outputs"`
		} `json:"workflows"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Workflows) != 1 {
		t.Fatalf("not a one-workflow JSON report (%v):\n%s", err, stdout)
	}
	return rep.Workflows[0].Status, rep.Workflows[0].Outputs
}

func TestResumeAfterSIGKILLAtEveryPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and runs it dozens of times")
	}
	flow := durableFlow(t)
	bin := arazzoCLI(t)
	cfg := func() backupd.Config {
		return backupd.Config{BackupDelay: 120 * time.Millisecond, RestoreDelay: 20 * time.Millisecond}
	}
	args := func(env *prismaEnv, proxy string, extra ...string) []string {
		return append([]string{"--allow-path", filepath.Dir(filepath.Dir(flow)), "--input", "apiToken=" + env.srv.Token(), "--input", "databaseId=" + env.srv.DatabaseID(),
			"--input", "runId=run-42", "--input", "backupLabel=e2e", "--format", "json"}, extra...)
	}

	// An uninterrupted run: how many requests, and which outputs.
	env := startBackupd(t, cfg())
	fx := &sideEffects{}
	proxy := killingProxy(t, env.http.URL, fx, 0, killBeforeService, func() {})
	base := runDurable(t, bin, nil, append([]string{"run", flow, "--server", prismaSource + "=" + proxy.URL + "/v1"}, args(env, proxy.URL)...)...)
	if base.code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s\n%s", base.code, base.stdout, base.stderr)
	}
	_, want := workflowOutputs(t, base.stdout)
	total := fx.requests
	if total < 5 {
		t.Fatalf("only %d requests in the uninterrupted run; the poll loop did not loop", total)
	}

	for at := 1; at <= total; at++ {
		for _, phase := range []killPhase{killBeforeService, killAfterService, killAfterAnswer} {
			t.Run(fmt.Sprintf("request%d-%s", at, phase), func(t *testing.T) {
				t.Parallel()
				env := startBackupd(t, cfg())
				fx := &sideEffects{}
				ks := newKillSwitch()
				proxy := killingProxy(t, env.http.URL, fx, at, phase, ks.pull)
				state := filepath.Join(t.TempDir(), "run.state")
				first := runDurable(t, bin, ks, append([]string{"run", flow, "--state", state,
					"--server", prismaSource + "=" + proxy.URL + "/v1"}, args(env, proxy.URL)...)...)
				if !first.killed {
					// Timing made this run shorter than the baseline: it
					// finished before request number at. Still a valid run.
					if first.code != 0 {
						t.Fatalf("run exit %d\n%s", first.code, first.stderr)
					}
				}
				// The secret token never reaches the state file.
				if data, _ := os.ReadFile(state); bytes.Contains(data, []byte(env.srv.Token())) {
					t.Errorf("the state file holds the API token")
				}
				res := runDurable(t, bin, nil, "resume", state, "--input", "apiToken="+env.srv.Token(), "--format", "json")
				if res.code != 0 {
					t.Fatalf("resume: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
				}
				status, got := workflowOutputs(t, res.stdout)
				fx.mu.Lock()
				backups, restores := fx.backups, fx.restores
				fx.mu.Unlock()
				if status != "succeeded" || backups != 1 || restores != 1 {
					t.Fatalf("status %s, %d backups, %d restores; want succeeded, exactly 1 and 1", status, backups, restores)
				}
				for k, v := range want {
					if k == "backupId" {
						continue
					}
					if fmt.Sprint(got[k]) != fmt.Sprint(v) {
						t.Errorf("output %s = %v, uninterrupted run gave %v", k, got[k], v)
					}
				}
				if id, _ := got["backupId"].(string); !strings.HasPrefix(id, "backup-") {
					t.Errorf("backupId output = %v", got["backupId"])
				}
				env.checkRestored(t, "")
			})
		}
	}
}

// TestResumeStopsOnInDoubtPOST uses the workflow as published, without
// idempotency keys: a kill after the service created the backup leaves the
// POST in doubt, and resume must say so instead of creating a second one.
func TestResumeStopsOnInDoubtPOST(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	root := testutil.ModuleRoot(t)
	bin := arazzoCLI(t)
	env := startBackupd(t, backupd.Config{BackupDelay: 50 * time.Millisecond, RestoreDelay: 10 * time.Millisecond})
	fx := &sideEffects{}
	ks := newKillSwitch()
	proxy := killingProxy(t, env.http.URL, fx, 1, killAfterService, ks.pull)
	state := filepath.Join(t.TempDir(), "run.state")
	flow := filepath.Join(root, "workflows", robustFlow)
	first := runDurable(t, bin, ks, "run", flow, "--allow-path", filepath.Join(root, "workflows"), "--state", state, "--server", prismaSource+"="+proxy.URL+"/v1",
		"--input", "apiToken="+env.srv.Token(), "--input", "databaseId="+env.srv.DatabaseID())
	if !first.killed {
		t.Fatalf("the run was not killed: %s", first.stderr)
	}
	res := runDurable(t, bin, nil, "resume", state, "--input", "apiToken="+env.srv.Token())
	if res.code != 1 {
		t.Fatalf("resume exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	all := res.stdout + res.stderr
	for _, want := range []string{"in doubt", "POST " + proxy.URL + "/v1/databases/db_demo/backups", "--resend-in-doubt"} {
		if !strings.Contains(all, want) {
			t.Errorf("resume output lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, env.srv.Token()) {
		t.Errorf("the token was printed")
	}
	fx.mu.Lock()
	defer fx.mu.Unlock()
	if fx.backups != 1 || fx.requests != 1 {
		t.Errorf("resume sent requests: %d requests, %d backups", fx.requests, fx.backups)
	}
	// Forgetting the secret input is a usage error that names it.
	res = runDurable(t, bin, nil, "resume", state)
	if res.code != 2 || !strings.Contains(res.stderr, "apiToken") {
		t.Errorf("resume without the token: exit %d, %s", res.code, res.stderr)
	}
}
