package tracing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/tracing"
)

const jobsAPI = `openapi: 3.0.3
info: {title: jobs, version: "1"}
servers: [{url: https://jobs.example.invalid}]
paths:
  /jobs:
    post:
      operationId: createJob
      parameters: [{name: key, in: query, schema: {type: string}}]
      requestBody:
        content: {application/json: {schema: {type: object}}}
      responses: {"202": {description: accepted}}
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /jobs/{id}/result:
    get:
      operationId: getResult
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const jobsFlow = `arazzo: 1.0.1
info: {title: jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: runJob
    inputs:
      type: object
      required: [token]
      properties:
        token: {type: string, format: password}
    parameters:
      - {name: Authorization, in: header, value: "Bearer {$inputs.token}"}
    steps:
      - stepId: createJob
        operationId: createJob
        parameters: [{name: key, in: query, value: $inputs.token}]
        requestBody:
          contentType: application/json
          payload: {secret: $inputs.token}
        successCriteria: [{condition: $statusCode == 202}]
        outputs: {id: $response.body#/id}
      - stepId: pollJob
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.createJob.outputs.id}]
        successCriteria:
          - condition: $statusCode == 200
          - condition: $response.body#/state == 'done'
        onFailure:
          - {name: wait, type: retry, retryAfter: 5, retryLimit: 5}
      - stepId: getResult
        operationId: getResult
        parameters: [{name: id, in: path, value: $steps.createJob.outputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {value: $response.body#/value}
    outputs: {value: $steps.getResult.outputs.value}
  - workflowId: neverDone
    steps:
      - stepId: pollJob
        operationId: getJob
        parameters: [{name: id, in: path, value: stuck}]
        successCriteria: [{condition: $response.body#/state == 'done'}]
        onFailure:
          - {name: wait, type: retry, retryAfter: 5, retryLimit: 1}
`

const secret = "s3cr3t-t0ken-value"

// instantClock makes retry waits (Arazzo and transport) take no time.
type instantClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *instantClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *instantClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// jobsServer serves the jobs API: the job is "running" for the first two
// polls, and the result endpoint answers 503 once (a transport retry).
type jobsServer struct {
	*httptest.Server
	mu          sync.Mutex
	polls       int
	resultCalls int
	traceparent map[string][]string // by path
}

func newJobsServer(t *testing.T) *jobsServer {
	s := &jobsServer{traceparent: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.traceparent[r.URL.Path] = append(s.traceparent[r.URL.Path], r.Header.Get("Traceparent"))
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/jobs":
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, `{"id":"j1"}`)
		case r.URL.Path == "/jobs/j1":
			s.polls++
			state := "running"
			if s.polls >= 3 {
				state = "done"
			}
			fmt.Fprintf(w, `{"state":%q}`, state)
		case r.URL.Path == "/jobs/j1/result":
			s.resultCalls++
			if s.resultCalls == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"error":"busy"}`)
				return
			}
			fmt.Fprint(w, `{"value":42}`)
		default:
			fmt.Fprint(w, `{"state":"running"}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func writeDoc(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(jobsAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "jobs.arazzo.yaml")
	if err := os.WriteFile(path, []byte(jobsFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs workflowID with a Tracer recording into an in-memory exporter.
func run(t *testing.T, srv *jobsServer, workflowID string) (*engine.Result, error, tracetest.SpanStubs) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	doc, err := engine.Open(context.Background(), writeDoc(t),
		engine.WithServer("jobs", srv.URL),
		engine.WithClock(&instantClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}),
		engine.WithHTTPClient(&http.Client{}),
		engine.WithTracer(tracing.New(tp)))
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Valid() {
		t.Fatalf("test document has errors: %v", doc.Diagnostics().Errors())
	}
	res, runErr := doc.Run(context.Background(), workflowID, map[string]any{"token": secret})
	if res == nil {
		t.Fatalf("run %s: %v", workflowID, runErr)
	}
	return res, runErr, exp.GetSpans()
}

func attr(s tracetest.SpanStub, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttr(t *testing.T, s tracetest.SpanStub, key attribute.Key, want any) {
	t.Helper()
	v, ok := attr(s, key)
	if !ok {
		t.Errorf("span %q (%s): no attribute %s", s.Name, s.SpanContext.SpanID(), key)
		return
	}
	if got := v.AsInterface(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("span %q: %s = %v, want %v", s.Name, key, got, want)
	}
}

func TestSpanTree(t *testing.T) {
	srv := newJobsServer(t)
	res, err, spans := run(t, srv, "runJob")
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if res.Outputs["value"] != float64(42) && res.Outputs["value"] != int64(42) {
		t.Fatalf("outputs = %v", res.Outputs)
	}

	var wf tracetest.SpanStub
	var steps, clients []tracetest.SpanStub
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
		switch {
		case s.Name == "arazzo.workflow runJob":
			wf = s
		case strings.HasPrefix(s.Name, "arazzo.step "):
			steps = append(steps, s)
		case s.SpanKind == trace.SpanKindClient:
			clients = append(clients, s)
		default:
			t.Errorf("unexpected span %q", s.Name)
		}
	}
	if !wf.SpanContext.IsValid() {
		t.Fatalf("no workflow span among %d spans", len(spans))
	}
	if wf.Parent.IsValid() {
		t.Errorf("workflow span has a parent: %v", wf.Parent)
	}
	wantAttr(t, wf, tracing.AttrWorkflowID, "runJob")
	wantAttr(t, wf, tracing.AttrWorkflowDepth, 0)
	wantAttr(t, wf, tracing.AttrWorkflowStatus, "succeeded")
	if wf.Status.Code == codes.Error {
		t.Errorf("workflow span status = %v", wf.Status)
	}

	// One span per attempt, in order, all children of the workflow span.
	type attempt struct {
		step    string
		n       int
		passed  bool
		failed  int
		status  int
		clients int
	}
	want := []attempt{
		{"createJob", 1, true, 0, 202, 1},
		{"pollJob", 1, false, 1, 200, 1},
		{"pollJob", 2, false, 1, 200, 1},
		{"pollJob", 3, true, 0, 200, 1},
		{"getResult", 1, true, 0, 200, 2}, // a 503 retried by the transport
	}
	if len(steps) != len(want) {
		t.Fatalf("%d step spans, want %d: %v", len(steps), len(want), names(steps))
	}
	for i, w := range want {
		s := steps[i]
		if s.Name != "arazzo.step "+w.step {
			t.Errorf("step span %d = %q, want arazzo.step %s", i, s.Name, w.step)
		}
		if s.Parent.SpanID() != wf.SpanContext.SpanID() {
			t.Errorf("%s attempt %d is not a child of the workflow span", w.step, w.n)
		}
		wantAttr(t, s, tracing.AttrWorkflowID, "runJob")
		wantAttr(t, s, tracing.AttrStepID, w.step)
		wantAttr(t, s, tracing.AttrStepAttempt, w.n)
		wantAttr(t, s, tracing.AttrStepPassed, w.passed)
		wantAttr(t, s, tracing.AttrCriteriaFailed, w.failed)
		wantAttr(t, s, tracing.AttrHTTPStatusCode, w.status)
		if got := s.Status.Code == codes.Error; got == w.passed {
			t.Errorf("%s attempt %d: error status %v with passed=%v", w.step, w.n, s.Status, w.passed)
		}
		// The HTTP client spans of this attempt.
		var mine []tracetest.SpanStub
		for _, c := range clients {
			if c.Parent.SpanID() == s.SpanContext.SpanID() {
				mine = append(mine, c)
			}
		}
		if len(mine) != w.clients {
			t.Errorf("%s attempt %d has %d HTTP client spans, want %d", w.step, w.n, len(mine), w.clients)
		}
		for _, c := range mine {
			if c.SpanContext.TraceID() != wf.SpanContext.TraceID() {
				t.Errorf("client span of %s in another trace", w.step)
			}
			if !strings.HasPrefix(mustString(t, c, tracing.AttrURLFull), srv.URL+"/jobs") {
				t.Errorf("client span of %s: url.full = %q", w.step, mustString(t, c, tracing.AttrURLFull))
			}
			wantAttr(t, c, tracing.AttrServerAddress, "127.0.0.1")
		}
		if w.step == "getResult" && len(mine) == 2 {
			wantAttr(t, mine[0], tracing.AttrHTTPStatusCode, 503)
			wantAttr(t, mine[0], tracing.AttrErrorType, "503")
			wantAttr(t, mine[1], tracing.AttrHTTPStatusCode, 200)
		}
		if w.step == "createJob" && len(mine) == 1 {
			wantAttr(t, mine[0], tracing.AttrHTTPMethod, "POST")
			// The secret was sent in the query: only the name remains.
			wantAttr(t, mine[0], tracing.AttrURLFull, srv.URL+"/jobs?key=***")
		}
	}
	if len(clients) != 6 {
		t.Errorf("%d HTTP client spans, want 6", len(clients))
	}

	// The server saw the client spans' trace context.
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for path, tps := range srv.traceparent {
		for _, tp := range tps {
			parts := strings.Split(tp, "-")
			if len(parts) != 4 || parts[1] != wf.SpanContext.TraceID().String() {
				t.Errorf("%s: traceparent %q is not in the workflow's trace %s", path, tp, wf.SpanContext.TraceID())
				continue
			}
			sid, err := trace.SpanIDFromHex(parts[2])
			if err != nil || byID[sid].SpanKind != trace.SpanKindClient {
				t.Errorf("%s: traceparent %q does not name an HTTP client span", path, tp)
			}
		}
	}

	assertNoSecret(t, spans)
}

func TestFailedWorkflowSpan(t *testing.T) {
	srv := newJobsServer(t)
	_, err, spans := run(t, srv, "neverDone")
	if err == nil {
		t.Fatal("neverDone succeeded")
	}
	var wf tracetest.SpanStub
	attempts := 0
	for _, s := range spans {
		switch s.Name {
		case "arazzo.workflow neverDone":
			wf = s
		case "arazzo.step pollJob":
			attempts++
			if s.Status.Code != codes.Error || s.Status.Description != "1 success criteria not met" {
				t.Errorf("failed attempt status = %+v", s.Status)
			}
			wantAttr(t, s, tracing.AttrErrorType, "criteria")
		}
	}
	if attempts != 2 {
		t.Errorf("%d attempt spans, want 2 (retryLimit 1)", attempts)
	}
	wantAttr(t, wf, tracing.AttrWorkflowStatus, "failed")
	wantAttr(t, wf, tracing.AttrErrorKind, "retry-limit")
	wantAttr(t, wf, tracing.AttrErrorStep, "pollJob")
	if wf.Status.Code != codes.Error || !strings.Contains(wf.Status.Description, "retry-limit at step pollJob") {
		t.Errorf("workflow span status = %+v", wf.Status)
	}
	assertNoSecret(t, spans)
}

// assertNoSecret fails when the secret input appears anywhere in a span:
// name, attributes, events, status.
func assertNoSecret(t *testing.T, spans tracetest.SpanStubs) {
	t.Helper()
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		for _, kv := range s.Attributes {
			texts = append(texts, string(kv.Key), kv.Value.Emit())
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for _, kv := range e.Attributes {
				texts = append(texts, kv.Value.Emit())
			}
		}
		for _, txt := range texts {
			if strings.Contains(txt, secret) {
				t.Errorf("span %q leaks the secret input: %q", s.Name, txt)
			}
		}
	}
}

func mustString(t *testing.T, s tracetest.SpanStub, key attribute.Key) string {
	t.Helper()
	v, ok := attr(s, key)
	if !ok {
		t.Errorf("span %q: no attribute %s", s.Name, key)
	}
	return v.AsString()
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
	}
	return out
}

func TestNilTracerTracesNothing(t *testing.T) {
	var tr *tracing.Tracer
	ctx := context.Background()
	wctx, end := tr.StartWorkflow(ctx, "w", 0)
	end(nil)
	actx, endA := tr.StartAttempt(wctx, "w", "s", 1)
	endA(nil)
	if wctx != ctx || actx != ctx {
		t.Error("a nil Tracer changed the context")
	}
	if rt := tr.WrapTransport(nil); rt != http.DefaultTransport {
		t.Errorf("a nil Tracer wrapped the transport: %T", rt)
	}
}
