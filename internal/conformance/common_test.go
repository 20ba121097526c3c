package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

// tally records the verdict of every case of one corpus against its skip
// list and prints the summary.
type tally struct {
	corpus string
	skips  map[string]string

	mu                       sync.Mutex
	passed, known, ruled     int
	failed, stale            int
	seen                     map[string]bool
	knownLines, ruledReasons []string
}

func newTally(corpus string, skips map[string]string) *tally {
	return &tally{corpus: corpus, skips: skips, seen: map[string]bool{}}
}

// verdict judges one case from the problems the harness found; call it last
// in the case's subtest.
func (ty *tally) verdict(t *testing.T, id string, problems []string) {
	t.Helper()
	ty.mu.Lock()
	ty.seen[id] = true
	reason, listed := ty.skips[id]
	switch {
	case len(problems) == 0 && !listed:
		ty.passed++
	case len(problems) == 0 && listed:
		ty.stale++
	case listed:
		ty.known++
		ty.knownLines = append(ty.knownLines, fmt.Sprintf("%s: %s", id, reason))
	default:
		ty.failed++
	}
	ty.mu.Unlock()
	switch {
	case len(problems) == 0 && listed:
		t.Errorf("%s passes now: delete it from the %s skip list (it said: %s)", id, ty.corpus, reason)
	case listed:
		t.Skipf("known failure: %s\n\tthis run: %s", reason, strings.Join(problems, "\n\t"))
	default:
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// rule skips a case the harness cannot express at all.
func (ty *tally) rule(t *testing.T, id, reason string) {
	t.Helper()
	ty.mu.Lock()
	ty.seen[id] = true
	ty.ruled++
	ty.ruledReasons = append(ty.ruledReasons, fmt.Sprintf("%s: %s", id, reason))
	_, listed := ty.skips[id]
	ty.mu.Unlock()
	if listed {
		t.Errorf("%s is skipped by rule (%s) and also in the skip list: delete the skip list entry", id, reason)
	}
	t.Skip("not runnable: " + reason)
}

// report prints the skip list and the summary line, and fails on skip-list
// entries that name no case.
func (ty *tally) report(t *testing.T) {
	t.Helper()
	ty.mu.Lock()
	defer ty.mu.Unlock()
	var unknown []string
	for id := range ty.skips {
		if !ty.seen[id] {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		t.Errorf("%s skip list names %q, which is not a case of the corpus", ty.corpus, id)
	}
	sort.Strings(ty.knownLines)
	sort.Strings(ty.ruledReasons)
	for _, l := range ty.knownLines {
		t.Log("skip (known failure) " + l)
	}
	for _, l := range ty.ruledReasons {
		t.Log("skip (not runnable) " + l)
	}
	line := fmt.Sprintf("%s: %d passed, %d skipped (%d known failures, %d not runnable)",
		ty.corpus, ty.passed, ty.known+ty.ruled, ty.known, ty.ruled)
	if ty.failed+ty.stale > 0 {
		line += fmt.Sprintf(", %d failed, %d skip-list entries pass now", ty.failed, ty.stale)
	}
	t.Log(line)
	fmt.Fprintln(os.Stderr, line)
}

// problems collects what went wrong in one case.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// jsonValue converts v (decoded YAML or JSON, or an engine value) to the
// values encoding/json produces: map[string]any, []any, float64, string,
// bool and nil.
func jsonValue(v any) any {
	data, err := json.Marshal(plainYAML(v))
	if err != nil {
		return fmt.Sprintf("<unencodable %T: %v>", v, err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Sprintf("<undecodable: %v>", err)
	}
	return out
}

// plainYAML turns the map[any]any of YAML decoding into map[string]any.
func plainYAML(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = plainYAML(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plainYAML(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = plainYAML(e)
		}
		return s
	}
	return v
}

// jsonEqual reports whether a and b are equal as JSON values.
func jsonEqual(a, b any) bool { return reflect.DeepEqual(jsonValue(a), jsonValue(b)) }

func show(v any) string {
	data, err := json.Marshal(jsonValue(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(data) > 400 {
		return string(data[:400]) + "…"
	}
	return string(data)
}

// readYAML decodes a YAML (or JSON) file into JSON-like values.
func readYAML(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	if strings.HasSuffix(path, ".json") {
		err = json.Unmarshal(data, &v)
	} else {
		err = yaml.Unmarshal(data, &v)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return plainYAML(v), nil
}

// fakeClock records waits and returns at once; its time advances by the
// waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// originalURLHeader carries the URL the engine built to the mock server
// when redirectTransport rewrote the host.
const originalURLHeader = "X-Conformance-Original-Url"

// redirectTransport sends every request to target (an httptest server),
// keeping the URL the engine built in originalURLHeader. serve, when set,
// answers some requests itself (source descriptions fetched over http(s)).
type redirectTransport struct {
	target *url.URL
	serve  func(*http.Request) *http.Response
	base   http.RoundTripper
}

func newRedirectTransport(serverURL string, serve func(*http.Request) *http.Response) *redirectTransport {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	return &redirectTransport{target: u, serve: serve, base: &http.Transport{DisableKeepAlives: true}}
}

func (rt *redirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.serve != nil {
		if resp := rt.serve(req); resp != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return resp, nil
		}
	}
	if req.URL.Host == rt.target.Host {
		return rt.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set(originalURLHeader, req.URL.String())
	r.URL.Scheme = rt.target.Scheme
	r.URL.Host = rt.target.Host
	r.Host = ""
	return rt.base.RoundTrip(r)
}

// originalURL returns the URL the engine sent a request to.
func originalURL(r *http.Request) *url.URL {
	if s := r.Header.Get(originalURLHeader); s != "" {
		if u, err := url.Parse(s); err == nil {
			return u
		}
	}
	u := *r.URL
	u.Scheme = "http"
	u.Host = r.Host
	return &u
}

// fileResponse answers req with the file at path (or 404).
func fileResponse(req *http.Request, path string, status int) *http.Response {
	body := []byte(`{"error":"not found"}`)
	if status == 0 {
		status = http.StatusOK
	}
	if status/100 == 2 {
		data, err := os.ReadFile(path)
		if err != nil {
			status = http.StatusNotFound
		} else {
			body = data
		}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/octet-stream"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// call is one request recorded by a mock.
type call struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// runConfig is how a harness runs a document: it yields both the engine
// options and, for documents the engine refuses because of validation
// errors, the equivalent runner options.
type runConfig struct {
	clock        *fakeClock
	client       *http.Client      // step requests and http(s) source fetches
	transport    http.RoundTripper // step requests only
	sender       runner.Sender
	servers      map[string]string
	allowDefault bool
	observer     runner.Observer
	maxSteps     int
	maxDepth     int
}

const (
	requestTimeout = 10 * time.Second
	runTimeout     = 20 * time.Second
)

func (c *runConfig) engineOptions() []engine.Option {
	opts := []engine.Option{
		engine.WithTransportRetries(0),
		engine.WithClock(c.clock),
		engine.WithRequestTimeout(requestTimeout),
		engine.WithRunTimeout(runTimeout),
	}
	if c.client != nil {
		opts = append(opts, engine.WithHTTPClient(c.client))
	}
	if c.transport != nil {
		opts = append(opts, engine.WithRoundTripper(c.transport))
	}
	if c.sender != nil {
		opts = append(opts, engine.WithSender(c.sender))
	}
	for name, u := range c.servers {
		opts = append(opts, engine.WithServer(name, u))
	}
	if c.allowDefault {
		opts = append(opts, engine.WithAllowDefaultServers())
	}
	if c.observer != nil {
		opts = append(opts, engine.WithObserver(c.observer))
	}
	if c.maxSteps > 0 {
		opts = append(opts, engine.WithStepBudget(c.maxSteps))
	}
	if c.maxDepth > 0 {
		opts = append(opts, engine.WithMaxDepth(c.maxDepth))
	}
	return opts
}

func (c *runConfig) runnerOptions() runner.Options {
	return runner.Options{
		Sender: c.sender,
		HTTP: runner.HTTPOptions{
			Client:       c.client,
			RoundTripper: c.transport,
			Retries:      -1,
			Timeout:      requestTimeout,
		},
		Clock:               c.clock,
		Observer:            c.observer,
		Servers:             c.servers,
		AllowDefaultServers: c.allowDefault,
		MaxSteps:            c.maxSteps,
		MaxDepth:            c.maxDepth,
	}
}

// opened is a document opened for a case.
type opened struct {
	doc *engine.Document
	// bypass runs the bundle with runner.New directly: the document has
	// validation errors, which the engine refuses to run.
	bypass *runner.Runner
	// invalid lists the validation errors that were bypassed.
	invalid arazzo.Diagnostics
}

// openDoc opens path. When every validation error of the document is one
// that ignore accepts, the document is still run (through runner.New), as
// the corpora's upstream runners do; those errors are kept in invalid.
// With ignore nil, a document with errors is not run.
func openDoc(ctx context.Context, path string, c *runConfig, ignore func(arazzo.Diagnostic) bool) (*opened, error) {
	doc, err := engine.Open(ctx, path, c.engineOptions()...)
	if err != nil {
		return nil, err
	}
	o := &opened{doc: doc}
	if doc.Valid() {
		return o, nil
	}
	o.invalid = doc.Diagnostics().Errors()
	if ignore == nil {
		return o, nil
	}
	for _, d := range o.invalid {
		if !ignore(d) {
			return o, nil
		}
	}
	r, err := runner.New(doc.Bundle, c.runnerOptions())
	if err != nil {
		return o, fmt.Errorf("runner refuses the document: %w", err)
	}
	o.bypass = r
	return o, nil
}

func ignoreAll(arazzo.Diagnostic) bool { return true }

func (o *opened) run(ctx context.Context, workflowID string, inputs map[string]any) (*engine.Result, error) {
	if o.bypass == nil {
		return o.doc.Run(ctx, workflowID, inputs)
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	return o.bypass.Run(ctx, workflowID, inputs)
}

func (o *opened) runAll(ctx context.Context, inputs map[string]map[string]any, opts ...engine.RunOption) ([]*engine.Result, error) {
	if o.bypass == nil {
		return o.doc.RunAll(ctx, inputs, opts...)
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	return o.bypass.RunAll(ctx, inputs, opts...)
}

// describe explains a failed run: the error and the errors of the
// dependencies, nested runs and transfers that led to it.
func describe(res *engine.Result, err error) string {
	var parts []string
	if err != nil {
		parts = append(parts, err.Error())
	}
	var walk func(r *engine.Result, depth int)
	walk = func(r *engine.Result, depth int) {
		if r == nil || depth > 5 {
			return
		}
		for _, d := range r.Dependencies {
			if d.Error != nil {
				parts = append(parts, "dependency "+d.Error.Error())
			}
			walk(d, depth+1)
		}
		for _, s := range r.Steps {
			if s.Nested != nil && s.Nested.Error != nil {
				parts = append(parts, "nested "+s.Nested.Error.Error())
			}
			if s.Error != "" {
				parts = append(parts, fmt.Sprintf("step %s: %s", s.StepID, s.Error))
			}
		}
		if r.TransferredTo != nil {
			walk(r.TransferredTo, depth+1)
		}
	}
	walk(res, 0)
	return strings.Join(parts, "; ")
}
