package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

// The examples below run the workflows of jobsFlowDoc against jobsServer,
// an in-process job service.

const jobsAPIDoc = `openapi: 3.0.3
info: {title: jobs, version: "1"}
servers: [{url: https://jobs.example.invalid}]
paths:
  /jobs:
    post:
      operationId: createJob
      responses: {"201": {description: created}}
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const jobsFlowDoc = `arazzo: 1.0.1
info: {title: jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: submitJob
    steps:
      - stepId: create
        operationId: createJob
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
    outputs: {id: $steps.create.outputs.id}
  - workflowId: awaitJob
    inputs:
      type: object
      required: [id]
      properties: {id: {type: string}}
    steps:
      - stepId: poll
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria:
          - condition: $statusCode == 200
          - condition: $response.body#/state == 'done'
        onFailure:
          - name: jobFailed
            type: end
            criteria: [{condition: $response.body#/state == 'failed'}]
          - {name: wait, type: retry, retryAfter: 30, retryLimit: 10}
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.poll.outputs.state}
`

// jobsServer serves the jobs API: job "ok" is done at the third poll,
// job "bad" fails, a created job is done at once.
func jobsServer() *httptest.Server {
	var mu sync.Mutex
	polls := map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"new"}`)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/jobs/")
		polls[id]++
		state := "running"
		switch {
		case id == "bad":
			state = "failed"
		case id == "new" || polls[id] >= 3:
			state = "done"
		}
		fmt.Fprintf(w, `{"state":%q}`, state)
	}))
}

// writeJobsDoc writes the document and its OpenAPI description into dir
// and returns the document's path.
func writeJobsDoc(dir, flow string) string {
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(jobsAPIDoc), 0o644)
	path := filepath.Join(dir, "jobs.arazzo.yaml")
	os.WriteFile(path, []byte(flow), 0o644)
	return path
}

// virtualClock is a Clock whose Sleep returns at once and only moves its
// time forward: retries need no real waiting.
type virtualClock struct {
	mu     sync.Mutex
	now    time.Time
	waited time.Duration
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waited += d
	return ctx.Err()
}

// Follow a run through an observer: a type switch over the events.
func ExampleWithObserver() {
	srv := jobsServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	progress := runner.ObserverFunc(func(e engine.Event) {
		switch e := e.(type) {
		case runner.StepAttempt:
			if e.Response == nil { // no HTTP response: e.Err says why
				fmt.Printf("%s attempt %d: %v\n", e.StepID, e.Attempt, e.Err)
				return
			}
			fmt.Printf("%s attempt %d: HTTP %d, passed: %v\n", e.StepID, e.Attempt, e.Response.StatusCode, e.Passed)
		case runner.Waiting:
			fmt.Printf("  waiting %s (%s) before attempt %d of at most %d\n", e.Duration, e.Reason, e.Attempt, e.Limit+1)
		case runner.WorkflowFinished:
			fmt.Printf("%s %s\n", e.Result.WorkflowID, e.Result.Status)
		}
	})
	doc, err := engine.Open(context.Background(), writeJobsDoc(dir, jobsFlowDoc),
		engine.WithServer("jobs", srv.URL),
		engine.WithClock(&virtualClock{}),
		engine.WithObserver(progress))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := doc.Run(context.Background(), "awaitJob", map[string]any{"id": "ok"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("state:", res.Outputs["state"])
	// Output:
	// poll attempt 1: HTTP 200, passed: false
	//   waiting 30s (retryAfter) before attempt 2 of at most 11
	// poll attempt 2: HTTP 200, passed: false
	//   waiting 30s (retryAfter) before attempt 3 of at most 11
	// poll attempt 3: HTTP 200, passed: true
	// awaitJob succeeded
	// state: done
}

// Replace the clock so that retry waits take no real time: tests and
// durable-execution hosts control waiting this way.
func ExampleWithClock() {
	srv := jobsServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	clock := &virtualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	doc, err := engine.Open(context.Background(), writeJobsDoc(dir, jobsFlowDoc),
		engine.WithServer("jobs", srv.URL), engine.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Now()
	res, err := doc.Run(context.Background(), "awaitJob", map[string]any{"id": "ok"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, "after", res.Steps[0].Attempts, "attempts")
	fmt.Println("virtual time waited:", clock.waited)
	fmt.Println("virtual duration:", res.Duration)
	fmt.Println("real time under a second:", time.Since(start) < time.Second)
	// Output:
	// succeeded after 3 attempts
	// virtual time waited: 1m0s
	// virtual duration: 1m0s
	// real time under a second: true
}

// Run every workflow of a document, each with its own inputs.
func ExampleDocument_RunAll() {
	srv := jobsServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	doc, err := engine.Open(context.Background(), writeJobsDoc(dir, jobsFlowDoc),
		engine.WithServer("jobs", srv.URL), engine.WithClock(&virtualClock{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := doc.RunAll(context.Background(), map[string]map[string]any{
		"awaitJob": {"id": "ok"},
	})
	for _, res := range results {
		fmt.Println(res.WorkflowID, res.Status, res.Outputs)
	}
	fmt.Println("error:", err)
	// Output:
	// submitJob succeeded map[id:new]
	// awaitJob succeeded map[state:done]
	// error: <nil>
}

// A failed run returns its result and a *engine.StepError saying where and
// why: the step, the kind of failure, the request and the criteria that
// did not pass.
func ExampleStepError() {
	srv := jobsServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	doc, err := engine.Open(context.Background(), writeJobsDoc(dir, jobsFlowDoc),
		engine.WithServer("jobs", srv.URL), engine.WithClock(&virtualClock{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := doc.Run(context.Background(), "awaitJob", map[string]any{"id": "bad"})
	var se *engine.StepError
	if errors.As(err, &se) {
		fmt.Println("status:", res.Status)
		fmt.Println("step:", se.StepID)
		fmt.Println("kind:", se.Kind)
		fmt.Println("request:", strings.Replace(se.Request, srv.URL, "http://jobs", 1), "→", se.StatusCode)
		for _, c := range se.Criteria {
			fmt.Println("failed:", c.Condition)
		}
	}
	// Output:
	// status: failed
	// step: poll
	// kind: end
	// request: GET http://jobs/jobs/bad → 200
	// failed: $response.body#/state == 'done'
}

// A document with errors opens (so that its diagnostics can be shown) but
// refuses to run: Run returns a *engine.ValidationError listing them.
func ExampleValidationError() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	broken := strings.Replace(jobsFlowDoc, "operationId: getJob", "operationId: getJobs", 1)

	doc, err := engine.Open(context.Background(), writeJobsDoc(dir, broken))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid:", doc.Valid())
	_, err = doc.Run(context.Background(), "awaitJob", map[string]any{"id": "ok"})
	var ve *engine.ValidationError
	if errors.As(err, &ve) {
		for _, d := range ve.Diagnostics.Errors() {
			fmt.Printf("line %d: %s\n", d.Line, d.Rule)
		}
	}
	// Output:
	// valid: false
	// line 20: operation-exists
}
