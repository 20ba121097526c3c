package report

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/runner"
)

// sampleResults is a failed run with every kind of nesting: a dependency,
// a nested workflow step, a goto to another workflow and a step that
// never ran.
func sampleResults() []*runner.WorkflowResult {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	dep := &runner.WorkflowResult{WorkflowID: "login", Status: runner.StatusSucceeded, Started: start,
		Duration: 20 * time.Millisecond, Inputs: map[string]any{"user": "alice", "password": "pw-123456"},
		Outputs: map[string]any{"token": "tok-secret-9"},
		Steps: []*runner.StepResult{{StepID: "auth", Status: runner.StatusSucceeded, Executions: 1, Attempts: 1,
			StatusCode: 200, Request: "POST http://api/login", Action: "next", Duration: 20 * time.Millisecond}}}
	nested := &runner.WorkflowResult{WorkflowID: "check", Status: runner.StatusSucceeded, Started: start,
		Steps: []*runner.StepResult{{StepID: "ping", Status: runner.StatusSucceeded, Executions: 1, Attempts: 1, StatusCode: 204}}}
	target := &runner.WorkflowResult{WorkflowID: "cleanup", Status: runner.StatusFailed, Started: start,
		Error: &runner.StepError{WorkflowID: "cleanup", StepID: "drop", Kind: runner.KindTransport,
			Message: "connection refused", Request: "DELETE http://api/x"},
		Steps: []*runner.StepResult{{StepID: "drop", Status: runner.StatusFailed, Executions: 1, Attempts: 1,
			TransportRetries: 3, Request: "DELETE http://api/x", Error: "connection refused"}}}
	failed := expression.Outcome{Condition: `$response.body#/status == "completed"`,
		Explanation: "`$response.body#/status` = \"running\", expected \"completed\""}
	main := &runner.WorkflowResult{WorkflowID: "backup", Status: runner.StatusFailed, Started: start,
		Duration: 1500 * time.Millisecond, Inputs: map[string]any{"databaseId": "db_1", "apiToken": "short"},
		Outputs:      map[string]any{"dump": []byte{0, 1, 2}},
		Dependencies: []*runner.WorkflowResult{dep},
		Error: &runner.StepError{WorkflowID: "backup", StepID: "poll", Kind: runner.KindRetryLimit,
			Message: "success criteria not met after 5 attempts", Request: "GET http://api/backups/7?key=tok-secret-9",
			StatusCode: 200, Criteria: []expression.Outcome{failed}, Hint: "raise retryLimit"},
		TransferredTo: target,
		Steps: []*runner.StepResult{
			{StepID: "start", Status: runner.StatusSucceeded, Executions: 1, Attempts: 1, StatusCode: 202,
				Request: "POST http://api/backups", Action: "next", Duration: 30 * time.Millisecond,
				Outputs: map[string]any{"id": "7"}},
			{StepID: "verify", Status: runner.StatusSucceeded, Executions: 1, Attempts: 1, Request: "workflow check", Nested: nested},
			{StepID: "probe", Status: runner.StatusFailed, Executions: 1, Attempts: 1, StatusCode: 404,
				Request: "GET http://api/probe", Action: "goto poll", Criteria: []expression.Outcome{{Condition: "$statusCode == 200",
					Explanation: "`$statusCode` = 404, expected 200"}}},
			{StepID: "poll", Status: runner.StatusFailed, Executions: 1, Attempts: 5, TransportRetries: 2, StatusCode: 200,
				Request: "GET http://api/backups/7?key=tok-secret-9", Action: "fail", Criteria: []expression.Outcome{failed},
				Duration: 1200 * time.Millisecond},
		}}
	return []*runner.WorkflowResult{main}
}

func sampleMeta() Meta {
	return Meta{Tool: "arazzo", ToolVersion: "1.2.3", Document: "flows/backup.arazzo.yaml",
		Started: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Duration: 2 * time.Second,
		Steps: func(id string) []string {
			if id == "backup" {
				return []string{"start", "verify", "probe", "poll", "restore"}
			}
			return nil
		},
		SensitiveInputs: func(id string) []string {
			if id == "login" {
				return []string{"password"}
			}
			return []string{"apiToken"}
		}}
}

func TestJSONReportMatchesSchema(t *testing.T) {
	m := NewMasker("tok-secret-9")
	r := Build(sampleResults(), sampleMeta())
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r, m); err != nil {
		t.Fatal(err)
	}
	if err := ValidateRun(buf.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, leak := range []string{"tok-secret-9", "pw-123456", `"short"`} {
		if strings.Contains(out, leak) {
			t.Errorf("report leaks %s", leak)
		}
	}
	var got Run
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.ReportVersion != "1" || got.Status != "failed" || got.Tool.Version != "1.2.3" {
		t.Errorf("header: %+v", got)
	}
	// backup 5 (one skipped) + login 1 + check 1 + cleanup 1.
	if s := got.Summary; s.Workflows != 1 || s.Failed != 1 || s.Steps != 7 || s.Skipped != 1 || s.Attempts != 11 {
		t.Errorf("summary = %+v", s)
	}
	w := got.Workflows[0]
	if w.Inputs["apiToken"] != Mask || w.Outputs["dump"] != BinarySummary([]byte{0, 1, 2}) {
		t.Errorf("inputs/outputs = %v %v", w.Inputs, w.Outputs)
	}
	if w.Error == nil || w.Error.StepID != "poll" || w.Error.Kind != "retry-limit" || len(w.Error.Criteria) != 1 ||
		w.Error.Request != "GET http://api/backups/7?key=***" {
		t.Errorf("error = %+v", w.Error)
	}
	last := w.Steps[len(w.Steps)-1]
	if last.StepID != "restore" || last.Status != "skipped" {
		t.Errorf("the step that never ran: %+v", last)
	}
	if w.Steps[1].Nested == nil || w.Steps[1].Nested.WorkflowID != "check" || w.TransferredTo == nil ||
		len(w.Dependencies) != 1 || w.Dependencies[0].Inputs["password"] != Mask {
		t.Errorf("nested/transfer/dependency results missing: %+v", w)
	}
	// The schema rejects what it should: a report of another version.
	bad := bytes.Replace(buf.Bytes(), []byte(`"reportVersion": "1"`), []byte(`"reportVersion": "2"`), 1)
	if err := ValidateRun(bad); err == nil {
		t.Error("schema accepted reportVersion 2")
	}
}

func TestJUnitShape(t *testing.T) {
	m := NewMasker("tok-secret-9")
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, Build(sampleResults(), sampleMeta()), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, xml.Header) || strings.Contains(out, "tok-secret-9") {
		t.Fatalf("header or leak:\n%s", out)
	}
	var got JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, s := range got.Suites {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "backup > login|backup|backup > check|backup > cleanup" {
		t.Errorf("suites = %q", names)
	}
	if got.Name != "backup.arazzo.yaml" || got.Tests != 8 || got.Failures != 1 || got.Errors != 1 || got.Skipped != 1 {
		t.Errorf("totals: %+v", got)
	}
	b := got.Suites[1]
	if b.Tests != 5 || b.Failures != 1 || b.Skipped != 1 || b.Time != "1.500" || b.Timestamp != "2026-03-01T10:00:00" {
		t.Errorf("backup suite: %+v", b)
	}
	cases := map[string]JUnitCase{}
	for _, c := range b.Cases {
		cases[c.Name] = c
		if c.Classname != "backup" {
			t.Errorf("classname %q", c.Classname)
		}
	}
	poll := cases["poll"]
	if poll.Failure == nil || poll.Failure.Type != "retry-limit" || poll.Time != "1.200" ||
		!strings.Contains(poll.Failure.Text, "request: GET http://api/backups/7?key=*** → 200") ||
		!strings.Contains(poll.Failure.Text, "expected \"completed\"") || !strings.Contains(poll.Failure.Text, "hint: raise retryLimit") {
		t.Errorf("poll: %+v", poll.Failure)
	}
	if p := cases["probe"]; p.Failure != nil || p.Error != nil || !strings.Contains(p.SystemOut, "failed (handled)") {
		t.Errorf("a failure handled by goto must pass, with a note: %+v", p)
	}
	if cases["restore"].Skipped == nil {
		t.Error("the step that never ran is not skipped")
	}
	props := map[string]string{}
	for _, p := range b.Properties {
		props[p.Name] = p.Value
	}
	if props["input.apiToken"] != Mask || props["input.databaseId"] != "db_1" || props["status"] != "failed" {
		t.Errorf("properties = %v", props)
	}
	cleanup := got.Suites[3]
	if cleanup.Errors != 1 || cleanup.Cases[0].Error == nil || cleanup.Cases[0].Error.Type != "transport" {
		t.Errorf("a transport failure is an <error>: %+v", cleanup)
	}
}

func TestJUnitWorkflowLevelFailure(t *testing.T) {
	res := &runner.WorkflowResult{WorkflowID: "w", Status: runner.StatusFailed,
		Error: &runner.StepError{WorkflowID: "w", Kind: runner.KindInputs, Message: "input id: required"}}
	s := BuildJUnit(Build([]*runner.WorkflowResult{res}, Meta{}))
	if len(s.Suites) != 1 || len(s.Suites[0].Cases) != 1 || s.Suites[0].Cases[0].Error == nil || s.Errors != 1 {
		t.Errorf("workflow-level failure not reported: %+v", s)
	}
}

func attemptEvent(n int, req *runner.Request, resp *runner.Response) runner.StepAttempt {
	return runner.StepAttempt{WorkflowID: "w", StepID: "poll", Attempt: n, Request: req, Response: resp, Passed: resp != nil}
}

func TestHARKeepsHeadAndTail(t *testing.T) {
	h := NewHARRecorder(NewMasker(), HAROptions{Head: 2, Tail: 3})
	for i := 1; i <= 10; i++ {
		h.Observe(attemptEvent(i, &runner.Request{Method: "GET", URL: "http://api/x", Header: http.Header{}},
			&runner.Response{StatusCode: 200, Header: http.Header{}, Duration: time.Millisecond}))
	}
	h.Observe(runner.StepFinished{WorkflowID: "w"}) // ignored
	var buf bytes.Buffer
	if err := h.Write(&buf, "arazzo", "t"); err != nil {
		t.Fatal(err)
	}
	var f harFile
	if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for _, e := range f.Log.Entries {
		attempts = append(attempts, e.Attempt)
	}
	if len(attempts) != 5 || attempts[0] != 1 || attempts[1] != 2 || attempts[2] != 8 || attempts[4] != 10 {
		t.Errorf("kept attempts %v, want 1 2 8 9 10", attempts)
	}
	if !strings.Contains(f.Log.Comment, "5 of 10 exchanges were dropped") || !strings.Contains(f.Log.Entries[2].Comment, "5 exchanges before this one were dropped") {
		t.Errorf("drop not documented: %q / %q", f.Log.Comment, f.Log.Entries[2].Comment)
	}
	if total, dropped := h.Stats(); total != 10 || dropped != 5 {
		t.Errorf("Stats = %d, %d", total, dropped)
	}
}

// TestHARFields checks the fields HAR 1.2 requires and that browser
// devtools need, binary bodies, caps and masking.
func TestHARFields(t *testing.T) {
	m := NewMasker()
	h := NewHARRecorder(m, HAROptions{MaxBodyBytes: 64})
	bin := make([]byte, 100)
	rand.Read(bin)
	req := &runner.Request{Method: "POST", URL: "http://u:pw-secret@api/x?token=abc%20def&plain=1",
		Header: http.Header{"Authorization": {"Bearer learned-token-1"}, "Content-Type": {"application/json"}, "Cookie": {"a=b1234"}},
		Body:   []byte(`{"note":"learned-token-1 ` + strings.Repeat("x", 100) + `"}`)}
	resp := &runner.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"application/octet-stream"},
		"Set-Cookie": {"sid=set-secret-2; Path=/; Secure"}, "Location": {"http://api/x/1"}},
		Body: bin, Duration: 12 * time.Millisecond, TransportRetries: 1}
	h.Observe(attemptEvent(1, req, resp))
	h.Observe(attemptEvent(2, &runner.Request{Method: "GET", URL: "http://api/down", Header: http.Header{}}, nil))
	m.Learn(req.Header) // learned after recording: still masked when written
	var buf bytes.Buffer
	if err := h.Write(&buf, "arazzo", "t"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, leak := range []string{"learned-token-1", "pw-secret", "set-secret-2", "b1234"} {
		if strings.Contains(out, leak) {
			t.Errorf("HAR leaks %q", leak)
		}
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	log := generic["log"].(map[string]any)
	requireKeys(t, "log", log, "version", "creator", "entries")
	entries := log["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, e := range entries {
		e := e.(map[string]any)
		requireKeys(t, "entry", e, "startedDateTime", "time", "request", "response", "cache", "timings")
		if _, err := time.Parse(time.RFC3339Nano, e["startedDateTime"].(string)); err != nil {
			t.Errorf("startedDateTime: %v", err)
		}
		requireKeys(t, "request", e["request"].(map[string]any), "method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize")
		r := e["response"].(map[string]any)
		requireKeys(t, "response", r, "status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize")
		requireKeys(t, "content", r["content"].(map[string]any), "size", "mimeType")
		requireKeys(t, "timings", e["timings"].(map[string]any), "send", "wait", "receive")
	}
	var f harFile
	json.Unmarshal(buf.Bytes(), &f)
	e := f.Log.Entries[0]
	if e.Request.URL != "http://u:***@api/x?token=abc%20def&plain=1" || len(e.Request.QueryString) != 2 || e.Request.QueryString[0].Value != "abc def" {
		t.Errorf("request url/query: %q %+v", e.Request.URL, e.Request.QueryString)
	}
	if e.Request.PostData == nil || !strings.Contains(e.Request.PostData.Text, `{"note":"***`) || !strings.Contains(e.Request.PostData.Comment, "truncated") {
		t.Errorf("postData: %+v", e.Request.PostData)
	}
	c := e.Response.Content
	dec, err := base64.StdEncoding.DecodeString(c.Text)
	if c.Encoding != "base64" || err != nil || !bytes.Equal(dec, bin[:64]) || c.Size != 100 || !strings.Contains(c.Comment, "64 of its 100 bytes") {
		t.Errorf("binary content: %+v (%v)", c, err)
	}
	if e.Response.RedirectURL != "http://api/x/1" || len(e.Response.Cookies) != 1 || e.Response.Cookies[0].Value != Mask || !e.Response.Cookies[0].Secure {
		t.Errorf("response: %+v", e.Response)
	}
	if len(e.Request.Cookies) != 1 || e.Request.Cookies[0].Name != "a" || e.TransportRetries != 1 || e.Time != 12 {
		t.Errorf("entry: %+v", e)
	}
	down := f.Log.Entries[1]
	if down.Response.Status != 0 || down.Response.BodySize != -1 {
		t.Errorf("no-response entry: %+v", down.Response)
	}
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"xml=a", "json", "json=", "=x"} {
		if _, err := OpenFiles([]string{bad}, NewMasker(), HAROptions{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := OpenFiles([]string{"json=" + filepath.Join(blocker, "r.json")}, NewMasker(), HAROptions{}); err == nil {
		t.Error("a path under a regular file accepted")
	}
	p := filepath.Join(dir, "r.json")
	if _, err := OpenFiles([]string{"json=" + p, "junit=" + p}, NewMasker(), HAROptions{}); err == nil {
		t.Error("two reports into one file accepted")
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused report left a file behind: %v", err)
	}
	// Opened but never written (the run stopped first): no empty file.
	f, err := OpenFiles([]string{"junit=" + filepath.Join(dir, "sub", "j.xml")}, NewMasker(), HAROptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(dir, "sub", "j.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unwritten report left behind: %v", err)
	}
	// Written over a longer previous report: nothing of the old one stays.
	old := filepath.Join(dir, "old.json")
	os.WriteFile(old, bytes.Repeat([]byte("x"), 1<<16), 0o644)
	f, err = OpenFiles([]string{"json=" + old, "har=" + filepath.Join(dir, "r.har")}, NewMasker(), HAROptions{})
	if err != nil || f.Observer() == nil {
		t.Fatal(err)
	}
	if err := f.Write(sampleResults(), sampleMeta()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(old)
	if err := ValidateRun(data); err != nil {
		t.Error(err)
	}
	if har, err := os.ReadFile(filepath.Join(dir, "r.har")); err != nil || !bytes.Contains(har, []byte(`"version": "1.2"`)) {
		t.Errorf("HAR: %v %s", err, har)
	}
}
