package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

// The CLI is built once per test binary, on first use, into a directory
// TestMain removes.
var (
	cliOnce sync.Once
	cliDir  string
	cliPath string
	cliErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// arazzoCLI returns the path of a freshly built cmd/arazzo binary.
func arazzoCLI(t *testing.T) string {
	t.Helper()
	root := testutil.ModuleRoot(t)
	cliOnce.Do(func() {
		cliDir, cliErr = os.MkdirTemp("", "arazzo-cli-")
		if cliErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "arazzo")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/arazzo")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/arazzo: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatalf("cannot build the CLI: %v", cliErr)
	}
	return cliPath
}

// cliReport is the CLI's `run --format json` output.
type cliReport struct {
	Workflows []struct {
		WorkflowID string         `json:"workflowId"`
		Status     string         `json:"status"`
		Outputs    map[string]any `json:"outputs"`
		Error      *struct {
			StepID  string `json:"stepId"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
		Steps []struct {
			StepID     string `json:"stepId"`
			Status     string `json:"status"`
			Attempts   int    `json:"attempts"`
			StatusCode int    `json:"statusCode"`
		} `json:"steps"`
	} `json:"workflows"`
}

// runCLI runs `arazzo run --format json ARGS…` from the workflows folder
// and returns the exit status and the decoded report (stderr on failure to
// decode is reported by the test).
func runCLI(t *testing.T, args ...string) (int, cliReport, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, arazzoCLI(t), append([]string{"run", "--format", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Keep the environment from injecting inputs.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARAZZO_INPUT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run the CLI: %v (stderr: %s)", err, stderr.String())
	}
	var rep cliReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("CLI exit %d, output is not the JSON report: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	return code, rep, stderr.String()
}

// openDoc opens a workflow document with the fast clock and the given
// options, failing the test when it has errors.
func openDoc(t *testing.T, file string, opts ...engine.Option) *engine.Document {
	t.Helper()
	opts = append([]engine.Option{engine.WithClock(fastClock{})}, opts...)
	doc, err := engine.Open(context.Background(), file, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	if !doc.Valid() {
		t.Fatalf("%s has errors: %v", file, doc.Diagnostics().Errors())
	}
	return doc
}

// backupdEnv is a backupd service for the workflows that are not the seed's.
type backupdEnv struct {
	t    *testing.T
	srv  *backupd.Server
	http *httptest.Server
}

func newBackupd(t *testing.T, cfg backupd.Config) *backupdEnv {
	t.Helper()
	cfg.KDFIterations = 1000
	srv, err := backupd.New(cfg)
	if err != nil {
		t.Fatalf("backupd: %v", err)
	}
	env := &backupdEnv{t: t, srv: srv, http: httptest.NewServer(srv.Handler())}
	t.Cleanup(func() { env.http.Close(); srv.Close() })
	return env
}

// base is the server URL of the postgresManagementApi source.
func (e *backupdEnv) base() string { return e.http.URL + "/v1" }

// call sends a request to /v1/databases/<id><path> with the right token.
func (e *backupdEnv) call(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.base()+"/databases/"+e.srv.DatabaseID()+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.srv.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	data, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, out
}

// backup creates a backup and waits until it is no longer running; it
// returns the backup.
func (e *backupdEnv) backup(req map[string]any) map[string]any {
	e.t.Helper()
	st, b := e.call("POST", "/backups", req)
	if st != http.StatusAccepted {
		e.t.Fatalf("createDatabaseBackup = %d %v", st, b)
	}
	id := b["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, b = e.call("GET", "/backups/"+id, nil)
		if st != http.StatusOK {
			e.t.Fatalf("getDatabaseBackup %s = %d %v", id, st, b)
		}
		if b["status"] != backupd.StatusRunning {
			return b
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("backup %s still running after 30 s", id)
	return nil
}

// exec runs SQL statements on the served database.
func (e *backupdEnv) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if _, err := e.srv.DB().Exec(s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// rows dumps every demo table.
func (e *backupdEnv) rows() map[string][]map[string]any { return dump(e.t, e.srv.DB()) }

// checkRows asserts the demo tables hold exactly want, that foreign keys
// hold, and that a new customer gets an id past the restored ones
// (sequences reset).
func (e *backupdEnv) checkRows(want map[string][]map[string]any, schema string) {
	e.t.Helper()
	got := e.rows()
	for _, tbl := range backupd.DemoTables {
		if !reflect.DeepEqual(want[tbl], got[tbl]) {
			e.t.Errorf("table %s differs from the expected rows (%d rows, want %d)\n got: %v\nwant: %v", tbl, len(got[tbl]), len(want[tbl]), got[tbl], want[tbl])
		}
	}
	v, err := backupd.ForeignKeyViolations(context.Background(), e.srv.DB(), e.srv.Dialect(), schema)
	if err != nil || len(v) > 0 {
		e.t.Errorf("foreign keys: %v %v", v, err)
	}
	var maxID, id int64
	if err := e.srv.DB().QueryRow(`SELECT COALESCE(MAX(id), 0) FROM customers`).Scan(&maxID); err != nil {
		e.t.Fatal(err)
	}
	row := e.srv.DB().QueryRow(`INSERT INTO customers (email, name, created_at) VALUES ('seq-check@example.com', 'x', '2026-01-01T00:00:00Z') RETURNING id`)
	if err := row.Scan(&id); err != nil {
		e.t.Fatalf("insert after restore (sequence not reset?): %v", err)
	}
	if id <= maxID {
		e.t.Errorf("new customer id %d is not past the restored ids (max %d): sequence not reset", id, maxID)
	}
	if _, err := e.srv.DB().Exec(`DELETE FROM customers WHERE email = 'seq-check@example.com'`); err != nil {
		e.t.Fatal(err)
	}
}
