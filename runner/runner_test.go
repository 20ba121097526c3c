package runner_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// fakeClock records waits and returns at once, so retry tests need no
// real sleeping.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// backupAPI is a small in-memory backup service: create → poll → restore.
type backupAPI struct {
	mu            sync.Mutex
	pollsToFinish int    // list calls before the backup reports completed
	finalStatus   string // "completed" (default) or "failed"
	retryAfter    string // Retry-After header on list responses while running
	polls         int
	creates       int
	restores      int
	calls         []string
	token         string // required bearer token, if set
}

func (b *backupAPI) handler() http.Handler {
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if b.token != "" && r.Header.Get("Authorization") != "Bearer "+b.token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"unauthorized"}`)
			return false
		}
		return true
	}
	mux.HandleFunc("POST /v1/databases/{db}/backups", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		b.mu.Lock()
		b.creates++
		b.mu.Unlock()
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]any{"id": "bk-1", "status": "running", "label": body["label"], "db": r.PathValue("db")})
	})
	mux.HandleFunc("GET /v1/databases/{db}/backups", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		b.mu.Lock()
		b.polls++
		status := "running"
		if b.polls >= b.pollsToFinish {
			status = b.finalStatus
			if status == "" {
				status = "completed"
			}
		}
		ra := b.retryAfter
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status == "running" && ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		json.NewEncoder(w).Encode(map[string]any{"data": []any{map[string]any{"id": "bk-1", "status": status}}})
	})
	mux.HandleFunc("POST /v1/databases/{db}/backups/{id}/restore", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		b.mu.Lock()
		b.restores++
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"status":"restoring","backupId":%q}`, r.PathValue("id"))
	})
	mux.HandleFunc("POST /v1/token", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.calls = append(b.calls, "token")
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"token":"fresh"}`)
	})
	return mux
}

const apiPath = "backup-api.yaml"

// writeDoc writes an Arazzo document next to a copy of the test OpenAPI
// description and loads it.
func writeDoc(t *testing.T, doc string) *arazzo.Bundle {
	t.Helper()
	dir := t.TempDir()
	api, err := os.ReadFile(filepath.Join("testdata", apiPath))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, apiPath), api, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flow.arazzo.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return b
}

func header(extra string) string {
	return `arazzo: 1.0.1
info: {title: test, version: "1"}
sourceDescriptions:
  - {name: api, url: ./` + apiPath + `, type: openapi}
` + extra
}

type harness struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *fakeClock
	events []runner.Event
	mu     sync.Mutex
}

func newHarness(t *testing.T, h http.Handler) *harness {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, clock: newFakeClock()}
}

func (h *harness) runner(b *arazzo.Bundle, mod func(*runner.Options)) *runner.Runner {
	h.t.Helper()
	opts := runner.Options{
		Servers: map[string]string{"api": h.srv.URL + "/v1"},
		Clock:   h.clock,
		HTTP:    runner.HTTPOptions{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond},
		Observer: runner.ObserverFunc(func(e runner.Event) {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		}),
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := runner.New(b, opts)
	if err != nil {
		h.t.Fatalf("runner.New: %v", err)
	}
	return r
}

const pollFlow = `workflows:
  - workflowId: backupAndRestore
    inputs:
      type: object
      required: [databaseId]
      properties:
        databaseId: {type: string}
        label: {type: string, default: nightly}
    steps:
      - stepId: create
        operationId: createBackup
        parameters:
          - {name: databaseId, in: path, value: $inputs.databaseId}
        requestBody:
          contentType: application/json
          payload: {label: $inputs.label}
        successCriteria:
          - condition: $statusCode == 202
        outputs:
          backupId: $response.body#/id
      - stepId: poll
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: $inputs.databaseId}
        successCriteria:
          - condition: $statusCode == 200
          - condition: $response.body#/data/0/status == 'completed'
        onFailure:
          - name: failedBackup
            type: end
            criteria:
              - condition: $response.body#/data/0/status == 'failed'
          - {name: wait, type: retry, retryAfter: 2, retryLimit: %d}
        outputs:
          status: $response.body#/data/0/status
      - stepId: restore
        operationId: restoreBackup
        parameters:
          - {name: databaseId, in: path, value: $inputs.databaseId}
          - {name: backupId, in: path, value: $steps.create.outputs.backupId}
        successCriteria:
          - condition: $statusCode == 202
        outputs:
          status: $response.body#/status
    outputs:
      backupId: $steps.create.outputs.backupId
      restoreStatus: $steps.restore.outputs.status
      label: $inputs.label
`

func TestPollUntilCompletedWithRetry(t *testing.T) {
	api := &backupAPI{pollsToFinish: 4}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 10)))
	res, err := h.runner(b, nil).Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"})
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	if got := res.Outputs["backupId"]; got != "bk-1" {
		t.Errorf("backupId output = %v", got)
	}
	if got := res.Outputs["restoreStatus"]; got != "restoring" {
		t.Errorf("restoreStatus output = %v", got)
	}
	if got := res.Outputs["label"]; got != "nightly" {
		t.Errorf("input default not applied: label = %v", got)
	}
	if api.polls != 4 || api.creates != 1 || api.restores != 1 {
		t.Errorf("calls: creates=%d polls=%d restores=%d, want 1/4/1", api.creates, api.polls, api.restores)
	}
	if sleeps := h.clock.Sleeps(); len(sleeps) != 3 || sleeps[0] != 2*time.Second {
		t.Errorf("sleeps = %v, want 3 × 2s", sleeps)
	}
	poll := res.Steps[1]
	if poll.StepID != "poll" || poll.Attempts != 4 || poll.Status != runner.StatusSucceeded {
		t.Errorf("poll step = %+v", poll)
	}
}

func TestPollGivesUpAtRetryLimit(t *testing.T) {
	api := &backupAPI{pollsToFinish: 1000}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 3)))
	res, err := h.runner(b, nil).Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"})
	var se *runner.StepError
	if !errors.As(err, &se) {
		t.Fatalf("want *StepError, got %v", err)
	}
	if se.StepID != "poll" || se.Kind != runner.KindRetryLimit {
		t.Errorf("error = %+v", se)
	}
	if len(se.Criteria) == 0 || !strings.Contains(se.Criteria[0].Explanation+se.Message, "running") {
		t.Errorf("error does not explain the failed criterion: %q / %+v", se.Message, se.Criteria)
	}
	if api.polls != 4 { // first attempt + 3 retries
		t.Errorf("polls = %d, want 4", api.polls)
	}
	if api.restores != 0 {
		t.Errorf("restore was called after a failed poll")
	}
	if res.Status != runner.StatusFailed {
		t.Errorf("status %s", res.Status)
	}
}

func TestFailedBackupEndsWithoutRestore(t *testing.T) {
	api := &backupAPI{pollsToFinish: 2, finalStatus: "failed"}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 10)))
	_, err := h.runner(b, nil).Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"})
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindEnd || se.StepID != "poll" {
		t.Fatalf("want end failure at poll, got %v", err)
	}
	if api.restores != 0 || api.polls != 2 {
		t.Errorf("polls=%d restores=%d", api.polls, api.restores)
	}
}

func TestRetryAfterHeaderOverridesRetryAfter(t *testing.T) {
	api := &backupAPI{pollsToFinish: 3, retryAfter: "7"}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 10)))
	if _, err := h.runner(b, nil).Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}); err != nil {
		t.Fatal(err)
	}
	sleeps := h.clock.Sleeps()
	if len(sleeps) != 2 || sleeps[0] != 7*time.Second || sleeps[1] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s 7s] from Retry-After", sleeps)
	}
}

func TestRetryAfterHeaderIsCapped(t *testing.T) {
	api := &backupAPI{pollsToFinish: 2, retryAfter: "86400"}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 10)))
	r := h.runner(b, func(o *runner.Options) { o.MaxRetryAfter = 30 * time.Second })
	if _, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}); err != nil {
		t.Fatal(err)
	}
	if sleeps := h.clock.Sleeps(); len(sleeps) != 1 || sleeps[0] != 30*time.Second {
		t.Errorf("sleeps = %v, want [30s]", sleeps)
	}
}

const retryLimitFlow = `workflows:
  - workflowId: w
    steps:
      - stepId: poll
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: db}
        successCriteria:
          - condition: $response.body#/data/0/status == 'completed'
        onFailure:
          - {name: again, type: retry, retryAfter: 0.5 %s}
`

func TestRetryLimitDefaultAndZero(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     string
		wantPolls int
	}{
		{"default is 1", "", 2},
		{"zero means no retry", ", retryLimit: 0", 1},
		{"explicit 2", ", retryLimit: 2", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &backupAPI{pollsToFinish: 100}
			h := newHarness(t, api.handler())
			b := writeDoc(t, header(fmt.Sprintf(retryLimitFlow, tc.limit)))
			_, err := h.runner(b, nil).Run(context.Background(), "w", nil)
			if err == nil {
				t.Fatal("want failure")
			}
			if api.polls != tc.wantPolls {
				t.Errorf("polls = %d, want %d", api.polls, tc.wantPolls)
			}
			for _, s := range h.clock.Sleeps() {
				if s != 500*time.Millisecond {
					t.Errorf("sleep %v, want 500ms (decimal retryAfter)", s)
				}
			}
		})
	}
}

func TestWorkflowLevelActionOverriddenByName(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    failureActions:
      - {name: handle, type: end}
      - {name: fallback, type: goto, stepId: last}
    steps:
      - stepId: first
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        successCriteria: [{condition: $response.body#/data/0/status == 'completed'}]
        onFailure:
          - {name: handle, type: retry, retryAfter: 0, retryLimit: 2}
      - stepId: middle
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: db}]
        successCriteria: [{condition: $statusCode == 500}]
      - stepId: last
        operationId: restoreBackup
        parameters:
          - {name: databaseId, in: path, value: db}
          - {name: backupId, in: path, value: x}
`)
	api := &backupAPI{pollsToFinish: 100}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "w", nil)
	// first: step-level "handle" (retry ×2) overrides the workflow-level
	// "handle" (end); when exhausted, the workflow-level "fallback" goto
	// applies and jumps to last, skipping middle.
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if api.polls != 3 || api.creates != 0 || api.restores != 1 {
		t.Errorf("polls=%d creates=%d restores=%d, want 3/0/1", api.polls, api.creates, api.restores)
	}
	if res.Steps[0].Action != "goto last" {
		t.Errorf("first step action = %q", res.Steps[0].Action)
	}
}

func TestGotoLoopHitsStepBudget(t *testing.T) {
	doc := header(`workflows:
  - workflowId: loop
    steps:
      - stepId: poll
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onSuccess:
          - {name: again, type: goto, stepId: poll}
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, doc), func(o *runner.Options) { o.MaxSteps = 25 })
	_, err := r.Run(context.Background(), "loop", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindStepBudget {
		t.Fatalf("want step-budget error, got %v", err)
	}
	if api.polls != 25 {
		t.Errorf("polls = %d, want 25", api.polls)
	}
}

func TestGotoAnotherWorkflowTransfersControl(t *testing.T) {
	doc := header(`workflows:
  - workflowId: start
    steps:
      - stepId: check
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onSuccess:
          - {name: toRestore, type: goto, workflowId: restoreOnly}
      - stepId: never
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: db}]
    outputs:
      checked: $steps.check.outputs.n
  - workflowId: restoreOnly
    steps:
      - stepId: restore
        operationId: restoreBackup
        parameters:
          - {name: databaseId, in: path, value: db}
          - {name: backupId, in: path, value: bk-9}
        outputs:
          backupId: $response.body#/backupId
    outputs:
      restored: $steps.restore.outputs.backupId
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "start", nil)
	if err != nil {
		t.Fatal(err)
	}
	if api.creates != 0 || api.restores != 1 {
		t.Errorf("creates=%d restores=%d", api.creates, api.restores)
	}
	if res.TransferredTo == nil || res.TransferredTo.WorkflowID != "restoreOnly" || res.TransferredTo.Outputs["restored"] != "bk-9" {
		t.Errorf("transfer not reported: %+v", res.TransferredTo)
	}
}

// Workflows that transfer control to each other with goto loop like a
// step goto (bounded by the step budget): a transfer is one-way, so going
// back to a workflow that transferred away is not recursion.
func TestGotoBetweenWorkflowsIsALoopNotRecursion(t *testing.T) {
	doc := header(`workflows:
  - workflowId: ping
    steps:
      - stepId: poll
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onSuccess:
          - {name: pong, type: goto, workflowId: pong}
  - workflowId: pong
    steps:
      - stepId: poll
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onSuccess:
          - {name: ping, type: goto, workflowId: ping}
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, doc), func(o *runner.Options) { o.MaxSteps = 40; o.MaxDepth = 3 })
	res, err := r.Run(context.Background(), "ping", nil)
	if err == nil || res == nil {
		t.Fatalf("the loop ended without an error: %v", err)
	}
	if api.polls != 40 {
		t.Errorf("polls = %d, want 40", api.polls)
	}
	hops, last := 0, res
	for ; last.TransferredTo != nil; last = last.TransferredTo {
		hops++
	}
	if hops != 40 { // the 41st workflow stops at its first step
		t.Errorf("%d transfers reported, want 40", hops)
	}
	if last.Error == nil || last.Error.Kind != runner.KindStepBudget {
		t.Errorf("the last workflow ended with %v, want the step budget (not nesting or recursion)", last.Error)
	}
}

func TestNestedWorkflowOutputs(t *testing.T) {
	doc := header(`workflows:
  - workflowId: outer
    steps:
      - stepId: backup
        workflowId: makeBackup
        parameters:
          - {name: db, value: db7}
        outputs:
          id: $outputs.backupId
      - stepId: restore
        operationId: restoreBackup
        parameters:
          - {name: databaseId, in: path, value: db7}
          - {name: backupId, in: path, value: $steps.backup.outputs.id}
        outputs:
          echoed: $response.body#/backupId
    outputs:
      restoredFrom: $steps.restore.outputs.echoed
  - workflowId: makeBackup
    inputs:
      type: object
      required: [db]
      properties: {db: {type: string}}
    steps:
      - stepId: create
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: $inputs.db}]
        outputs: {id: $response.body#/id, db: $response.body#/db}
    outputs:
      backupId: $steps.create.outputs.id
`)
	api := &backupAPI{}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "outer", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["restoredFrom"] != "bk-1" {
		t.Errorf("restoredFrom = %v", res.Outputs["restoredFrom"])
	}
	if n := res.Steps[0].Nested; n == nil || n.Outputs["backupId"] != "bk-1" {
		t.Errorf("nested result not kept: %+v", n)
	}
}

func TestDependsOnRunsOnceAndDetectsCycles(t *testing.T) {
	doc := header(`workflows:
  - workflowId: token
    steps:
      - stepId: get
        operationId: refreshToken
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.get.outputs.token}
  - workflowId: a
    dependsOn: [token]
    steps:
      - stepId: s
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: db}
          - {name: Authorization, in: header, value: "Bearer {$workflows.token.outputs.token}"}
  - workflowId: b
    dependsOn: [token, a]
    steps:
      - stepId: s
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: db}
          - {name: Authorization, in: header, value: "Bearer {$workflows.token.outputs.token}"}
`)
	api := &backupAPI{token: "fresh", pollsToFinish: 1}
	h := newHarness(t, api.handler())
	results, err := h.runner(writeDoc(t, doc), nil).RunAll(context.Background(), nil)
	if err != nil {
		t.Fatalf("RunAll: %v", err)
	}
	if len(results) != 3 {
		t.Fatalf("results = %d", len(results))
	}
	if len(api.calls) != 1 {
		t.Errorf("token workflow ran %d times, want once", len(api.calls))
	}

	cyc := header(`workflows:
  - workflowId: x
    dependsOn: [y]
    steps:
      - {stepId: s, operationId: refreshToken}
  - workflowId: y
    dependsOn: [x]
    steps:
      - {stepId: s, operationId: refreshToken}
`)
	dir := t.TempDir()
	api2, _ := os.ReadFile(filepath.Join("testdata", apiPath))
	os.WriteFile(filepath.Join(dir, apiPath), api2, 0o644)
	os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(cyc), 0o644)
	b, diags := arazzo.Load(context.Background(), filepath.Join(dir, "c.yaml"), arazzo.LoadOptions{})
	diags = append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...)
	if !diags.HasErrors() {
		t.Errorf("validation should report the dependsOn cycle")
	}
	if b != nil {
		r, err := runner.New(b, runner.Options{Servers: map[string]string{"api": h.srv.URL + "/v1"}, Clock: newFakeClock()})
		if err == nil {
			_, err = r.Run(context.Background(), "x", nil)
			var se *runner.StepError
			if !errors.As(err, &se) || se.Kind != runner.KindDependency || !strings.Contains(se.Message, "calls itself") {
				t.Errorf("runtime cycle: want a dependency error naming the cycle, got %v", err)
			}
		}
	}
}

// Workflow outputs are evaluated however the workflow ends, also when a
// prerequisite fails before any of its steps runs.
func TestOutputsWhenPrerequisiteFails(t *testing.T) {
	doc := header(`workflows:
  - workflowId: broken
    steps:
      - stepId: s
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        successCriteria: [{condition: $statusCode == 418}]
  - workflowId: main
    dependsOn: [broken]
    inputs: {type: object, properties: {label: {type: string}}}
    steps:
      - {stepId: s, operationId: refreshToken}
    outputs:
      label: $inputs.label
      never: $steps.s.outputs.x
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "main", map[string]any{"label": "nightly"})
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindDependency {
		t.Fatalf("want a dependency failure, got %v", err)
	}
	if res.Outputs["label"] != "nightly" || res.Outputs["never"] != nil {
		t.Errorf("outputs = %v, want label evaluated and never null", res.Outputs)
	}
}

func TestTransportErrorTriggersOnFailure(t *testing.T) {
	// A port with nothing listening: connection refused on every try.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onFailure:
          - name: noResponse
            type: goto
            stepId: fallback
            criteria:
              - condition: $statusCode == null
      - stepId: unreachable
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: db}]
      - stepId: fallback
        operationId: refreshToken
`)
	api := &backupAPI{}
	h := newHarness(t, api.handler())
	b := writeDoc(t, doc)
	good := h.srv.URL + "/v1"
	calls := 0
	sender := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		calls++
		if strings.Contains(req.URL, "/backups") {
			req.URL = strings.Replace(req.URL, good, dead+"/v1", 1)
		}
		return runner.NewHTTPSender(runner.HTTPOptions{Retries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond}).Send(ctx, req)
	})
	res, err := h.runner(b, func(o *runner.Options) { o.Sender = sender }).Run(context.Background(), "w", nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Steps[0].Status != runner.StatusFailed || res.Steps[0].StatusCode != 0 || !strings.Contains(res.Steps[0].Error, "refused") {
		t.Errorf("call step = %+v", res.Steps[0])
	}
	if res.Steps[0].TransportRetries != 1 {
		t.Errorf("transport retries = %d, want 1 (GET is idempotent)", res.Steps[0].TransportRetries)
	}
	if len(api.calls) != 1 || api.creates != 0 {
		t.Errorf("fallback not taken: %v creates=%d", api.calls, api.creates)
	}
}

func TestTransportErrorWithoutHandlerFails(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
`)
	h := newHarness(t, http.NotFoundHandler())
	sender := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		return nil, &runner.TransportError{Method: req.Method, URL: req.URL, Err: errors.New("connection reset by peer")}
	})
	_, err := h.runner(writeDoc(t, doc), func(o *runner.Options) { o.Sender = sender }).Run(context.Background(), "w", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindTransport || se.StatusCode != 0 {
		t.Fatalf("want transport error, got %v", err)
	}
}

func TestNoCriteriaMeansTwoXX(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
`)
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	_, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "w", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(se.Message, "2xx") {
		t.Fatalf("want 404 failure explaining 2xx, got %v", err)
	}
}

func TestEndSuccessActionStopsWithOutputs(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        onSuccess:
          - {name: done, type: end}
        outputs: {s: $response.body#/data/0/status}
      - stepId: never
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: db}]
    outputs: {status: $steps.call.outputs.s}
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "w", nil)
	if err != nil || res.Outputs["status"] != "completed" || api.creates != 0 {
		t.Fatalf("err=%v outputs=%v creates=%d", err, res.Outputs, api.creates)
	}
}

func TestInputsValidatedBeforeAnyRequest(t *testing.T) {
	api := &backupAPI{}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 1)))
	_, err := h.runner(b, nil).Run(context.Background(), "backupAndRestore", map[string]any{"label": 5})
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindInputs {
		t.Fatalf("want inputs error, got %v", err)
	}
	if !strings.Contains(se.Message, "databaseId") {
		t.Errorf("message does not name the missing input: %s", se.Message)
	}
	if api.creates+api.polls != 0 {
		t.Errorf("requests were sent despite invalid inputs")
	}
}

func TestServerOverrideRules(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
`)
	b := writeDoc(t, doc)
	sent := 0
	sender := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		sent++
		return &runner.Response{StatusCode: 200, Header: http.Header{}}, nil
	})
	// An override for another source only: no silent fallback to the
	// description's (production) server.
	r, err := runner.New(b, runner.Options{Servers: map[string]string{"other": "http://127.0.0.1:1"}, Sender: sender, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), "w", nil)
	if err == nil || !strings.Contains(err.Error(), "--server api=URL") || sent != 0 {
		t.Errorf("want a clear error before any request, got %v (sent %d)", err, sent)
	}
	// No overrides at all: the description's first server is used.
	var got string
	sender2 := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		got = req.URL
		return &runner.Response{StatusCode: 200, Header: http.Header{}}, nil
	})
	r2, _ := runner.New(b, runner.Options{Sender: sender2, Clock: newFakeClock()})
	if _, err := r2.Run(context.Background(), "w", nil); err != nil {
		t.Fatal(err)
	}
	if got != "https://backups.example.invalid/v1/databases/db/backups" {
		t.Errorf("url = %s", got)
	}
}

func TestCancellationStopsWaitAtOnce(t *testing.T) {
	api := &backupAPI{pollsToFinish: 1000}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 100)))
	ctx, cancel := context.WithCancel(context.Background())
	r := h.runner(b, func(o *runner.Options) {
		o.Clock = runner.SystemClock{}
		o.Observer = runner.ObserverFunc(func(e runner.Event) {
			if _, ok := e.(runner.Waiting); ok {
				cancel()
			}
		})
	})
	start := time.Now()
	res, err := r.Run(ctx, "backupAndRestore", map[string]any{"databaseId": "db"})
	if time.Since(start) > time.Second {
		t.Errorf("cancellation did not interrupt the 2 s wait")
	}
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindCancelled || se.StepID != "poll" {
		t.Fatalf("want cancelled at poll, got %v", err)
	}
	if res.Status != runner.StatusCancelled {
		t.Errorf("status %s", res.Status)
	}
}

func TestRetryActionRunsStepFirst(t *testing.T) {
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: call
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: db}
          - {name: Authorization, in: header, value: "Bearer {$steps.refresh.outputs.token}"}
        onFailure:
          - name: reauth
            type: retry
            stepId: refresh
            retryLimit: 1
            criteria: [{condition: $statusCode == 401}]
        onSuccess:
          - {name: done, type: end}
      - stepId: refresh
        operationId: refreshToken
        outputs: {token: $response.body#/token}
`)
	api := &backupAPI{token: "fresh", pollsToFinish: 1}
	h := newHarness(t, api.handler())
	res, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "w", nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(api.calls) != 1 || api.polls != 1 || res.Steps[0].Attempts != 2 {
		t.Errorf("token calls=%v polls=%d attempts=%d", api.calls, api.polls, res.Steps[0].Attempts)
	}
}

func TestBinaryDownloadReusedAsMultipartUpload(t *testing.T) {
	blob := make([]byte, 300_000)
	for i := range blob {
		blob[i] = byte(i*7 + i/251)
	}
	var uploaded []byte
	var filename, partType string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/files/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(blob)
	})
	mux.HandleFunc("POST /v1/upload", func(w http.ResponseWriter, r *http.Request) {
		f, hdr, err := r.FormFile("backup")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		uploaded, _ = io.ReadAll(f)
		filename, partType = hdr.Filename, hdr.Header.Get("Content-Type")
		w.WriteHeader(200)
	})
	doc := header(`workflows:
  - workflowId: w
    steps:
      - stepId: download
        operationId: download
        parameters: [{name: name, in: path, value: auth.db}]
        outputs: {file: $response.body}
      - stepId: upload
        operationId: upload
        requestBody:
          contentType: multipart/form-data
          payload:
            backup: $steps.download.outputs.file
`)
	h := newHarness(t, mux)
	if _, err := h.runner(writeDoc(t, doc), nil).Run(context.Background(), "w", nil); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(uploaded) != sha256.Sum256(blob) {
		t.Fatalf("uploaded %d bytes, not byte-for-byte the %d downloaded", len(uploaded), len(blob))
	}
	if filename == "" || partType != "application/octet-stream" {
		t.Errorf("file part: filename=%q content-type=%q", filename, partType)
	}
}

func TestConcurrentRunsShareOneRunner(t *testing.T) {
	var polls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/databases/{db}/backups", func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[{"id":%q,"status":"completed"}]}`, r.PathValue("db"))
	})
	doc := header(`workflows:
  - workflowId: w
    inputs: {type: object, properties: {db: {type: string}}}
    steps:
      - stepId: s
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: $inputs.db}]
        successCriteria: [{condition: $response.body#/data/0/status == 'COMPLETED'}]
        outputs: {id: $response.body#/data/0/id}
    outputs: {id: $steps.s.outputs.id}
`)
	h := newHarness(t, mux)
	r := h.runner(writeDoc(t, doc), func(o *runner.Options) { o.Observer = nil })
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db := fmt.Sprintf("db-%d", i)
			res, err := r.Run(context.Background(), "w", map[string]any{"db": db})
			if err != nil {
				errs <- err
				return
			}
			if res.Outputs["id"] != db {
				errs <- fmt.Errorf("run %d got output %v", i, res.Outputs["id"])
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if polls.Load() != 50 {
		t.Errorf("polls = %d", polls.Load())
	}
}

// TestReachedWorkflowsGetInputsByID: a nested workflow gets the inputs
// given for it by id, under the values its step passes.
func TestReachedWorkflowsGetInputsByID(t *testing.T) {
	doc := header(`workflows:
  - workflowId: outer
    steps:
      - stepId: backup
        workflowId: makeBackup
        parameters:
          - {name: db, value: db7}
        outputs:
          label: $outputs.label
          db: $outputs.db
    outputs:
      label: $steps.backup.outputs.label
      db: $steps.backup.outputs.db
  - workflowId: makeBackup
    inputs:
      type: object
      required: [db, label]
      properties: {db: {type: string}, label: {type: string}}
    steps:
      - stepId: create
        operationId: createBackup
        parameters: [{name: databaseId, in: path, value: $inputs.db}]
        requestBody: {contentType: application/json, payload: {label: $inputs.label}}
        outputs: {label: $response.body#/label, db: $response.body#/db}
    outputs:
      label: $steps.create.outputs.label
      db: $steps.create.outputs.db
`)
	api := &backupAPI{}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, doc), nil)
	byID := map[string]map[string]any{"makeBackup": {"db": "ignored", "label": "from-file"}}
	res, err := r.Run(context.Background(), "outer", nil, runner.WithWorkflowInputs(byID))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["label"] != "from-file" || res.Outputs["db"] != "db7" {
		t.Errorf("outputs %v: want the label from the inputs by id and the db the step passes", res.Outputs)
	}
	// Without them the required label is missing: an inputs failure.
	_, err = r.Run(context.Background(), "outer", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "label") {
		t.Errorf("err = %v", err)
	}
}
