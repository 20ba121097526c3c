package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// TestStateFileResume covers the CLI side of durable runs: a finished run
// replays from its state file without a request, the secret input is not
// in the file and must be given again, --state never overwrites a file, and
// a changed document is refused.
func TestStateFileResume(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"echo":%q}`, r.URL.Path)
	}))
	defer srv.Close()
	flow := cliFixture(t)
	state := t.TempDir() + "/run.state"
	args := []string{"--server", "api=" + srv.URL, "--input", "id=7", "--format", "json"}
	if code, out, errs := runCLI(append([]string{"run", flow, "--state", state, "--input", "token=s3cret-token"}, args...)...); code != 0 {
		t.Fatalf("run: exit %d %s %s", code, out, errs)
	}
	data, _ := os.ReadFile(state)
	if strings.Contains(string(data), "s3cret-token") {
		t.Error("the password input is in the state file")
	}
	if code, _, errs := runCLI("resume", state, "--format", "json"); code != exitInvalid || !strings.Contains(errs, "token") {
		t.Errorf("resume without the secret: exit %d, %s", code, errs)
	}
	before := calls.Load()
	code, out, errs := runCLI("resume", state, "--input", "token=s3cret-token", "--format", "json")
	if code != 0 || !strings.Contains(out, `"echo": "/items/7"`) {
		t.Errorf("resume: exit %d %s %s", code, out, errs)
	}
	if calls.Load() != before {
		t.Errorf("resuming a finished run sent %d requests", calls.Load()-before)
	}
	if code, _, errs := runCLI(append([]string{"run", flow, "--state", state, "--input", "token=x"}, args...)...); code != exitInvalid || !strings.Contains(errs, "arazzo resume") {
		t.Errorf("--state on an existing file: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI("resume", state, "--workflow", "get", "--input", "token=x"); code != exitInvalid || !strings.Contains(errs, "--workflow cannot be changed") {
		t.Errorf("changing --workflow on resume: exit %d, %s", code, errs)
	}
	doc, _ := os.ReadFile(flow)
	os.WriteFile(flow, append(doc, []byte("# edited\n")...), 0o644)
	if code, _, errs := runCLI("resume", state, "--input", "token=s3cret-token"); code != exitInvalid || !strings.Contains(errs, "changed since the run started") {
		t.Errorf("resume after the document changed: exit %d, %s", code, errs)
	}
}
