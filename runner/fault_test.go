package runner_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// Fault injection: each test runs a one-step workflow against a local
// server (or a raw listener) that misbehaves in one way, and checks the
// documented outcome — transport retries, the failure kind, the message
// and what the result reports — under a generous deadline that only
// catches hangs.

const faultAPI = `openapi: 3.0.3
info: {title: fault API, version: "1"}
servers: [{url: "https://faults.example.invalid"}]
components:
  securitySchemes:
    token: {type: apiKey, in: header, name: X-Token}
    key: {type: apiKey, in: query, name: api_key}
paths:
  /thing:
    get:
      operationId: getThing
      responses: {"200": {description: ok}}
    post:
      operationId: postThing
      responses: {"200": {description: ok}}
`

// faultFlow is a workflow "w" with one step calling op; criteria and
// extra (onFailure, outputs) are YAML lines indented for the step.
func faultFlow(op, criteria, extra string) string {
	return `arazzo: 1.0.1
info: {title: faults, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: ` + op + `
` + criteria + extra + `    outputs:
      out: $steps.s.outputs.out
`
}

func loadFault(t *testing.T, flow string) *arazzo.Bundle {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(faultAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flow.arazzo.yaml")
	if err := os.WriteFile(path, []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return b
}

// faultRun runs workflow w of flow against baseURL with a fake clock and
// returns the result, the clock (its Sleeps are the waits, transport
// backoff included) and the events.
func faultRun(t *testing.T, baseURL, flow string, mod func(*runner.Options)) (*runner.WorkflowResult, *fakeClock, []runner.Event) {
	t.Helper()
	clock := newFakeClock()
	var events []runner.Event
	opts := runner.Options{
		Servers:  map[string]string{"api": baseURL},
		Clock:    clock,
		Observer: runner.ObserverFunc(func(e runner.Event) { events = append(events, e) }),
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := runner.New(loadFault(t, flow), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, _ := r.Run(ctx, "w", nil)
	if ctx.Err() != nil {
		t.Fatalf("the run hung: still going after 20 s")
	}
	if res == nil || len(res.Steps) != 1 {
		t.Fatalf("result %+v", res)
	}
	return res, clock, events
}

// wantFailure checks the workflow failed at step s with kind and a
// message containing every part.
func wantFailure(t *testing.T, res *runner.WorkflowResult, kind runner.ErrorKind, parts ...string) {
	t.Helper()
	if res.Status != runner.StatusFailed || res.Error == nil {
		t.Fatalf("status %s, error %v: want a failure of kind %s", res.Status, res.Error, kind)
	}
	if res.Error.Kind != kind || res.Error.StepID != "s" {
		t.Errorf("kind %s at step %q, want %s at s: %v", res.Error.Kind, res.Error.StepID, kind, res.Error)
	}
	for _, p := range parts {
		if !strings.Contains(res.Error.Message, p) {
			t.Errorf("message %q does not say %q", res.Error.Message, p)
		}
		if !strings.Contains(res.Steps[0].Error, p) && res.Error.Kind == runner.KindTransport {
			t.Errorf("step report error %q does not say %q", res.Steps[0].Error, p)
		}
	}
}

func TestFaultConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	for _, op := range []string{"getThing", "postThing"} {
		t.Run(op, func(t *testing.T) {
			res, clock, _ := faultRun(t, "http://"+addr, faultFlow(op, "", ""), nil)
			// A refused connection never reached the server: retried for
			// every method, with exponential backoff through the clock.
			wantFailure(t, res, runner.KindTransport, "connection refused", "after 3 transport retries")
			sr := res.Steps[0]
			if sr.TransportRetries != 3 || sr.Attempts != 1 || sr.StatusCode != 0 || sr.Status != runner.StatusFailed {
				t.Errorf("step report %+v", sr)
			}
			want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
			if got := clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("backoff waits %v, want %v", got, want)
			}
			var te *runner.TransportError
			if !errors.As(res.Error, &te) || te.Retries != 3 {
				t.Errorf("no TransportError with 3 retries in %v", res.Error)
			}
		})
	}
}

// resetServer accepts connections on a raw listener, reads a request,
// writes the headers and half a JSON body, then resets the connection
// (SO_LINGER 0). After resets resets it answers properly.
func resetServer(t *testing.T, resets int32) (url string, requests *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	requests = &atomic.Int32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					n := requests.Add(1)
					if n <= resets {
						fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"status\":")
						c.(*net.TCPConn).SetLinger(0)
						return
					}
					_ = req
					body := `{"status":"ok"}`
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				}
			}(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), requests
}

func TestFaultResetMidResponse(t *testing.T) {
	crit := "        successCriteria: [{condition: $statusCode == 200}]\n"
	t.Run("GET always reset", func(t *testing.T) {
		url, reqs := resetServer(t, 100)
		res, _, _ := faultRun(t, url, faultFlow("getThing", crit, ""), nil)
		// A connection lost mid-body is retried like one lost before the
		// headers, for idempotent requests.
		wantFailure(t, res, runner.KindTransport, "reading response body", "after 3 transport retries")
		if res.Steps[0].TransportRetries != 3 || reqs.Load() != 4 || res.Steps[0].StatusCode != 0 {
			t.Errorf("retries %d, requests %d, status %d: want 3, 4, 0", res.Steps[0].TransportRetries, reqs.Load(), res.Steps[0].StatusCode)
		}
	})
	t.Run("GET reset twice then answered", func(t *testing.T) {
		url, reqs := resetServer(t, 2)
		res, _, _ := faultRun(t, url, faultFlow("getThing", crit, ""), nil)
		if res.Status != runner.StatusSucceeded || res.Steps[0].TransportRetries != 2 || reqs.Load() != 3 {
			t.Errorf("status %s, retries %d, requests %d: want succeeded after 2 retries: %v", res.Status, res.Steps[0].TransportRetries, reqs.Load(), res.Error)
		}
	})
	t.Run("POST not retried", func(t *testing.T) {
		url, reqs := resetServer(t, 100)
		res, _, _ := faultRun(t, url, faultFlow("postThing", crit, ""), nil)
		// The request reached the server: sending a POST again could
		// repeat its effect.
		wantFailure(t, res, runner.KindTransport, "reading response body")
		if res.Steps[0].TransportRetries != 0 || reqs.Load() != 1 {
			t.Errorf("retries %d, requests %d: want 0, 1", res.Steps[0].TransportRetries, reqs.Load())
		}
	})
}

func TestFaultStallPastTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // no byte, ever, until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", ""), func(o *runner.Options) { o.HTTP.Timeout = 200 * time.Millisecond })
	wantFailure(t, res, runner.KindTransport, "request timeout: no complete response within 200ms", "--request-timeout")
	if !errors.Is(res.Error, runner.ErrRequestTimeout) || !errors.Is(res.Error, context.DeadlineExceeded) {
		t.Errorf("error %v is not ErrRequestTimeout and DeadlineExceeded", res.Error)
	}
	if res.Steps[0].TransportRetries != 0 {
		t.Errorf("a timed-out request was retried %d times", res.Steps[0].TransportRetries)
	}
}

func TestFaultTrickledBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		fmt.Fprint(w, `{"pad":"`)
		for { // one byte every 10 ms: each read makes progress, the whole never ends
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", ""), func(o *runner.Options) { o.HTTP.Timeout = 300 * time.Millisecond })
	// The timeout bounds the whole request, body included, not the gap
	// between two bytes.
	wantFailure(t, res, runner.KindTransport, "request timeout: no complete response within 300ms")
	if res.Steps[0].StatusCode != 0 {
		t.Errorf("status code %d reported for a response never completed", res.Steps[0].StatusCode)
	}
}

func TestFaultInvalidJSONWithJSONContentType(t *testing.T) {
	for name, body := range map[string]string{
		"truncated": `{"status":"compl`,
		"invalid":   `{status: completed}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			crit := "        successCriteria:\n          - condition: $statusCode == 200\n          - condition: $response.body#/status == 'completed'\n"
			outs := "        outputs: {out: $response.body#/status}\n"
			res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", crit, outs), nil)
			// The body stays text: a JSON Pointer into it does not
			// resolve, so the criterion fails (it does not error the run),
			// and outputs reading it are null.
			wantFailure(t, res, runner.KindCriteria, "success criteria not met")
			sr := res.Steps[0]
			if len(sr.Criteria) != 2 || !sr.Criteria[0].Passed || sr.Criteria[1].Passed {
				t.Fatalf("criteria %+v: want the status one passed, the body one failed", sr.Criteria)
			}
			t.Logf("explanation: %s", sr.Criteria[1].Explanation)
			if sr.StatusCode != 200 || sr.TransportRetries != 0 || sr.Outputs["out"] != nil {
				t.Errorf("step report %+v", sr)
			}

			// With a status criterion only, the step succeeds and
			// $response.body is the text as received.
			res, _, _ = faultRun(t, srv.URL, faultFlow("getThing", "        successCriteria: [{condition: $statusCode == 200}]\n",
				"        outputs: {out: $response.body}\n"), nil)
			if res.Status != runner.StatusSucceeded || res.Outputs["out"] != body {
				t.Errorf("status %s, out %#v: want succeeded with the raw text", res.Status, res.Outputs["out"])
			}
		})
	}
}

func TestFaultStatusCodesAndRetryAfter(t *testing.T) {
	fakeNow := newFakeClock().Now()
	backoff := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	tests := []struct {
		name       string
		op         string
		status     int
		retryAfter string
		header     string // an extra request header parameter
		retries    int
		waits      []time.Duration
	}{
		{"500 GET not retried", "getThing", 500, "", "", 0, nil},
		{"502 GET", "getThing", 502, "", "", 3, backoff},
		{"503 GET", "getThing", 503, "", "", 3, backoff},
		{"429 GET", "getThing", 429, "", "", 3, backoff},
		{"503 GET Retry-After seconds", "getThing", 503, "2", "", 3, []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}},
		{"429 GET Retry-After 10^12 s capped", "getThing", 429, "1000000000000", "", 3, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}},
		{"503 GET Retry-After date", "getThing", 503, fakeNow.Add(3 * time.Second).Format(http.TimeFormat), "", 3, []time.Duration{3 * time.Second, 0, 0}},
		{"503 GET Retry-After year 9999 capped", "getThing", 503, "Fri, 31 Dec 9999 23:59:59 GMT", "", 3, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}},
		{"503 GET Retry-After garbage ignored", "getThing", 503, "soon", "", 3, backoff},
		{"503 POST not retried", "postThing", 503, "1", "", 0, nil},
		{"503 POST with Idempotency-Key", "postThing", 503, "1", "Idempotency-Key", 3, []time.Duration{time.Second, time.Second, time.Second}},
		{"502 POST not retried", "postThing", 502, "", "", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error":"status %d"}`, tc.status)
			}))
			defer srv.Close()
			params := ""
			if tc.header != "" {
				params = "        parameters: [{name: " + tc.header + ", in: header, value: k-1}]\n"
			}
			res, clock, _ := faultRun(t, srv.URL, faultFlow(tc.op, params, ""), nil)
			// After the transport retries, the last response decides: no
			// success criteria, so a non-2xx status fails the step.
			wantFailure(t, res, runner.KindCriteria, fmt.Sprintf("HTTP %d is not a success", tc.status))
			sr := res.Steps[0]
			if sr.TransportRetries != tc.retries || int(hits.Load()) != tc.retries+1 || sr.StatusCode != tc.status || sr.Attempts != 1 {
				t.Errorf("retries %d, requests %d, status %d, attempts %d: want %d, %d, %d, 1", sr.TransportRetries, hits.Load(), sr.StatusCode, sr.Attempts, tc.retries, tc.retries+1, tc.status)
			}
			if got := clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.waits) {
				t.Errorf("waits %v, want %v", got, tc.waits)
			}
			if res.Error.StatusCode != tc.status {
				t.Errorf("error status %d", res.Error.StatusCode)
			}
		})
	}
}

// An Arazzo retry action honours the response's Retry-After, capped by
// MaxRetryAfter (5 minutes by default): absurd values cannot stall a run.
func TestFaultRetryActionCapsAbsurdRetryAfter(t *testing.T) {
	for _, ra := range []string{"1000000000000", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		t.Run(ra, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			defer srv.Close()
			crit := "        successCriteria: [{condition: $statusCode == 200}]\n"
			retry := "        onFailure: [{name: again, type: retry, retryAfter: 1, retryLimit: 2}]\n"
			res, clock, events := faultRun(t, srv.URL, faultFlow("getThing", crit, retry), func(o *runner.Options) { o.HTTP.Retries = -1 })
			wantFailure(t, res, runner.KindRetryLimit, "retries exhausted")
			want := []time.Duration{5 * time.Minute, 5 * time.Minute}
			if got := clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("waits %v, want %v", got, want)
			}
			if res.Steps[0].Attempts != 3 || hits.Load() != 3 {
				t.Errorf("attempts %d, requests %d: want 3", res.Steps[0].Attempts, hits.Load())
			}
			waits := 0
			for _, e := range events {
				if w, ok := e.(runner.Waiting); ok {
					waits++
					if w.Reason != "Retry-After header" || w.Duration != 5*time.Minute {
						t.Errorf("waiting event %+v", w)
					}
				}
			}
			if waits != 2 {
				t.Errorf("%d Waiting events, want 2", waits)
			}
		})
	}
}

func TestFaultRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", ""), nil)
	wantFailure(t, res, runner.KindTransport, "stopped after 10 redirects (a redirect loop?)")
	var re *runner.RedirectError
	if !errors.As(res.Error, &re) {
		t.Errorf("no RedirectError in %v", res.Error)
	}
	// Bounded: the first request and 10 redirects, never retried.
	if hits.Load() != 11 || res.Steps[0].TransportRetries != 0 {
		t.Errorf("requests %d, retries %d: want 11, 0", hits.Load(), res.Steps[0].TransportRetries)
	}
}

// twoGB streams 2 GiB of zeros without holding them: the server writes
// until the client hangs up.
func twoGB(declareLength bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		const size = 2 << 30
		if declareLength {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

func TestFaultTwoGigabyteBody(t *testing.T) {
	for _, tc := range []struct {
		name          string
		declareLength bool
		msg           string
	}{
		{"Content-Length", true, "Content-Length is 2147483648 bytes, the limit is 1048576"},
		{"streamed", false, "more than 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(twoGB(tc.declareLength))
			defer srv.Close()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, _, _ := faultRun(t, srv.URL, faultFlow("getThing", "", ""), func(o *runner.Options) { o.HTTP.MaxBodyBytes = 1 << 20 })
			runtime.ReadMemStats(&after)
			wantFailure(t, res, runner.KindTransport, "response body too large", tc.msg, "--max-body")
			if !errors.Is(res.Error, runner.ErrBodyTooLarge) {
				t.Errorf("not ErrBodyTooLarge: %v", res.Error)
			}
			if res.Steps[0].TransportRetries != 0 {
				t.Errorf("an oversized body was retried %d times", res.Steps[0].TransportRetries)
			}
			// Bounded memory: far below the 2 GiB the server offered.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("allocated %d MiB reading a body limited to 1 MiB", alloc>>20)
			}
		})
	}
}
