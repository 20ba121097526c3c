package main

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/report"
)

const pollAPI = `openapi: 3.0.3
info: {title: poll, version: "1"}
paths:
  /backups:
    post:
      operationId: startBackup
      responses: {"202": {description: started}}
  /backups/{id}:
    get:
      operationId: getBackup
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /backups/{id}/data:
    get:
      operationId: download
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const pollFlow = `arazzo: 1.0.1
info: {title: poll, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: backup
    inputs:
      type: object
      properties:
        label: {type: string}
    steps:
      - stepId: start
        operationId: startBackup
        successCriteria: [{condition: $statusCode == 202}]
        outputs: {id: $response.body#/id}
      - stepId: poll
        operationId: getBackup
        parameters: [{name: id, in: path, value: $steps.start.outputs.id}]
        successCriteria:
          - condition: $response.body#/status == "completed"
        onFailure:
          - {name: again, type: retry, retryAfter: 0, retryLimit: 5}
      - stepId: download
        operationId: download
        parameters: [{name: id, in: path, value: $steps.start.outputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {size: $response.header.Content-Length}
    outputs:
      size: $steps.download.outputs.size
`

// pollServer completes a backup on the third poll and serves it as
// binary data; block, when set, holds every poll until the client gives up.
func pollServer(t *testing.T, block bool) (*httptest.Server, *atomic.Int32, chan struct{}) {
	t.Helper()
	var requests, polls atomic.Int32
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch {
		case r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, `{"id":"b7"}`)
		case strings.HasSuffix(r.URL.Path, "/data"):
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0, 1, 2, 3, 0xff})
		default:
			if block {
				arrived <- struct{}{}
				<-r.Context().Done()
				return
			}
			w.Header().Set("Content-Type", "application/json")
			status := "running"
			if polls.Add(1) >= 3 {
				status = "completed"
			}
			fmt.Fprintf(w, `{"status":%q}`, status)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests, arrived
}

func pollFixture(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(pollAPI), 0o644)
	path := filepath.Join(dir, "flow.yaml")
	os.WriteFile(path, []byte(pollFlow), 0o644)
	return path
}

func TestRunReportsAllThree(t *testing.T) {
	srv, _, _ := pollServer(t, false)
	flow := pollFixture(t)
	dir := t.TempDir()
	jsonPath, junitPath, harPath := filepath.Join(dir, "out", "run.json"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "run.har")
	code, stdout, stderr := runCLI("run", flow, "--server", "api="+srv.URL, "--input", "label=nightly", "--verbose", "--no-color",
		"--report", "json="+jsonPath, "--report", "junit="+junitPath, "--report", "har="+harPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}

	// JSON: valid against the shipped schema, with the poll's attempts.
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.ValidateRun(data); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	var rep report.Run
	json.Unmarshal(data, &rep)
	w := rep.Workflows[0]
	if rep.Status != "succeeded" || w.Inputs["label"] != "nightly" || len(w.Steps) != 3 || w.Steps[1].Attempts != 3 ||
		w.Steps[1].Action != "next" || w.Steps[1].Criteria[0].Passed != true || rep.Summary.Attempts != 5 || rep.Tool.Version != version {
		t.Errorf("JSON report: %s", data)
	}

	// JUnit: one suite, one case per step, nothing failed.
	data, _ = os.ReadFile(junitPath)
	var ju report.JUnitSuites
	if err := xml.Unmarshal(data, &ju); err != nil {
		t.Fatal(err)
	}
	if len(ju.Suites) != 1 || ju.Suites[0].Name != "backup" || ju.Tests != 3 || ju.Failures+ju.Errors+ju.Skipped != 0 ||
		ju.Suites[0].Cases[1].Name != "poll" || !strings.Contains(ju.Suites[0].Cases[1].SystemOut, "attempts: 3") {
		t.Errorf("JUnit report:\n%s", data)
	}

	// HAR: every attempt, the binary download as base64.
	data, _ = os.ReadFile(harPath)
	var har struct {
		Log struct {
			Version string
			Entries []struct {
				Request  struct{ Method, URL string }
				Response struct {
					Status  int
					Content struct {
						Size                     int
						Text, Encoding, MimeType string
					}
				}
				StepID  string `json:"_stepId"`
				Attempt int    `json:"_attempt"`
			}
		}
	}
	if err := json.Unmarshal(data, &har); err != nil {
		t.Fatal(err)
	}
	e := har.Log.Entries
	if har.Log.Version != "1.2" || len(e) != 5 || e[3].StepID != "poll" || e[3].Attempt != 3 {
		t.Fatalf("HAR entries: %s", data)
	}
	if c := e[4].Response.Content; c.Encoding != "base64" || c.Text != "AAECA/8=" || c.Size != 5 {
		t.Errorf("binary download in HAR: %+v", c)
	}

	// --verbose: headers, JSON bodies as text, binary as size + digest.
	digest := fmt.Sprintf("<5 bytes, sha256 %x>", sha256.Sum256([]byte{0, 1, 2, 3, 0xff}))
	for _, want := range []string{"> POST " + srv.URL + "/backups", `< {"status":"running"}`, "< Content-Type: application/octet-stream", "< " + digest} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verbose output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRunReportUsageErrors(t *testing.T) {
	srv, requests, _ := pollServer(t, false)
	flow := pollFixture(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	os.WriteFile(blocker, nil, 0o644)
	for name, args := range map[string][]string{
		"unknown kind":      {"--report", "xml=" + filepath.Join(dir, "r.xml")},
		"no path":           {"--report", "junit"},
		"unwritable path":   {"--report", "json=" + filepath.Join(blocker, "r.json")},
		"same file twice":   {"--report", "json=" + filepath.Join(dir, "r"), "--report", "har=" + filepath.Join(dir, "r")},
		"quiet and verbose": {"--quiet", "--verbose"},
		"bad --mask-header": {"--mask-header", "X-Token: x"},
	} {
		code, _, stderr := runCLI(append([]string{"run", flow, "--server", "api=" + srv.URL}, args...)...)
		if code != 2 || !strings.Contains(stderr, "arazzo: ") {
			t.Errorf("%s: exit %d, want 2 with a message; stderr: %s", name, code, stderr)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests were sent despite usage errors", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("refused reports left files: %v", entries)
	}
}

// TestRunReportsOnInterrupt sends the CLI a real SIGINT while a step waits
// for its response: the run is cancelled and every report is still
// written.
func TestRunReportsOnInterrupt(t *testing.T) {
	srv, _, arrived := pollServer(t, true)
	flow := pollFixture(t)
	dir := t.TempDir()
	jsonPath, junitPath, harPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "run.har")
	go func() {
		select {
		case <-arrived: // the CLI is waiting for the poll's response
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		case <-time.After(30 * time.Second):
		}
	}()
	code, stdout, stderr := runCLI("run", flow, "--server", "api="+srv.URL, "--no-color",
		"--report", "json="+jsonPath, "--report", "junit="+junitPath, "--report", "har="+harPath)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.ValidateRun(data); err != nil {
		t.Fatal(err)
	}
	var rep report.Run
	json.Unmarshal(data, &rep)
	if rep.Status != "cancelled" || rep.Workflows[0].Steps[1].Status != "cancelled" || rep.Workflows[0].Steps[2].Status != "skipped" {
		t.Errorf("cancelled run report: %s", data)
	}
	junit, _ := os.ReadFile(junitPath)
	if !strings.Contains(string(junit), `type="cancelled"`) {
		t.Errorf("JUnit report of a cancelled run:\n%s", junit)
	}
	har, _ := os.ReadFile(harPath)
	if !strings.Contains(string(har), `"_stepId": "poll"`) {
		t.Errorf("HAR of a cancelled run lacks the interrupted poll:\n%s", har)
	}
}
