package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/runner"
)

// jaredSkips lists the jaredce cases known to fail, with why.
const (
	skipGotoInputs = "semantics: the goto target Create-a-User has no entry in the inputs file and the goto action passes no parameters, so it runs without inputs and POST /v2/user sends {\"user\":null}; upstream's Input.getWorkflowInputs returns the previously loaded inputs when a workflowId has no entry, so the target reuses the calling workflow's inputs and sends user KanyeW. A goto target's inputs are the action's 1.1 parameters (issue: goto to a workflow runs the target with the action's parameters as its inputs; Arazzo 1.0.1 passes nothing), plus the inputs given for it by workflow id (docs/semantics.md, Inputs of workflows a run reaches)"
	skipCharset    = "upstream: the step's requestBody.contentType is text/plain (text/xml, text/html) and the engine sends exactly that Content-Type, as Arazzo 1.0.1 defines it (contentType: the Content-Type for the request content; the operation's media type is the same); upstream adds \"; charset=utf-8\" to text and XML media types, and nock's reqheaders compares the whole string. The charset parameter is optional (RFC 9110 §8.3) and the body is UTF-8 either way"
	skipEndFails   = "semantics: a failure action of type end stops the run; upstream completes without error, the engine reports the workflow failed (KindEnd)"
	skipBasic      = "upstream: the step passes the header parameter Authorization: {$inputs.username}:{$inputs.password} and the engine sends it as given (jack:p4ssW0rd), as Arazzo 1.0.1 defines a parameter's value (\"the value to pass in the parameter\"); upstream applies the operation's http basic security scheme to a header parameter named like the scheme and sends Basic base64(value) (Basic amFjazpwNHNzVzByZA==)"
	skipPointer    = "semantics: upstream throws when an output JSON pointer misses (/id); the engine fails earlier on the non-2xx status"
)

var jaredSkips = map[string]string{
	"rules.onFailure#6":  skipGotoInputs,
	"rules.onFailure#8":  skipGotoInputs,
	"rules.onSuccess#6":  skipGotoInputs,
	"rules.onSuccess#8":  skipGotoInputs,
	"main#62":            "semantics: step LogUserIn is a workflowId step with successCriteria $statusCode == 200; a workflowId step makes no HTTP request, so $statusCode has no value and the criterion fails (kind criteria): Arazzo 1.0.1 successCriteria apply to every step. Upstream evaluates successCriteria only after an OpenAPI call, never for a workflowId step, and completes",
	"main#65":            "upstream: on login 404 the retry action runs workflowId createUserMultiStep (POST /user) and then retries LogUserIn (login 200), as Arazzo 1.0.1 says for retry with a workflowId (context transfers back upon completion of the specified workflow): 4 requests. Upstream's retryProcessing leaves this.workflow pointing at createUserMultiStep after running it, so the retry runs a step index past that workflow's steps and sends nothing: runOpenAPIStep × 3",
	"requestBody#1":      "semantics: upstream writes the object with xml2js defaults (<root>, member names, no namespaces); the engine follows the OpenAPI XML Object of the body schema, as OpenAPI 3.x specifies: <petDrink> (the component name), <se:drinkName xmlns:se=…> (xml.name, prefix, namespace), a wrapped <se:ingredients> list and se:ingredientId as an attribute",
	"requestBody#5":      skipCharset,
	"requestBody#6":      skipCharset,
	"requestBody#7":      skipCharset,
	"rules.onFailure#0":  skipEndFails,
	"rules.onFailure#1":  skipEndFails,
	"rules.onFailure#2":  skipEndFails,
	"rules.onFailure#3":  skipEndFails,
	"main#12":            skipEndFails,
	"main#39":            skipEndFails,
	"rules.onFailure#13": "semantics: upstream moves on to the next step when retries are exhausted (FORMAT.md calls it an upstream interpretation); the engine fails the step (KindRetryLimit)",
	"rules.onSuccess#10": "upstream: LoginExistingUser has no successCriteria, succeeds on 200, and the workflow-level successAction WorkflowGotoOnSuccess ($statusCode == 200, goto LoginExistingUser) applies to it (Arazzo 1.0.1: successActions apply to all steps of the workflow), so the engine logs in again and the second login matches no interceptor (the document loops until the step budget); upstream takes no success or failure action for a step without successCriteria and goes on to getUser",
	"security#5":         skipBasic,
	"security#6":         skipBasic,
	"security#7":         "upstream: the step passes Authorization: $steps.LoginExistingUser.outputs.AccessToken and the engine sends the token as given, as Arazzo 1.0.1 defines a parameter's value; upstream applies the operation's http bearer security scheme to a header parameter named like the scheme and prefixes \"Bearer \"",
	"security#8":         "upstream: the source's server is http://petstore.swagger.io/v2 and the engine sends to it (OpenAPI Server Object); upstream sends every request of a source whose only security scheme is mutualTLS with https.request (https://petstore.swagger.io) and a client key and certificate read from the paths in the inputs (key, cert: test/mocks/client-*.pem, which the corpus does not include). A client certificate is HTTP client configuration here (engine.WithHTTPClient), not an input",
	"security#13":        "corpus: the source description of this document does not define operationId loginUser",
	"security#14":        "corpus: the source description of this document does not define operationId loginUser",
	"main#2":             skipPointer,
	"main#29":            skipPointer,
	"main#30":            skipPointer,
	"main#3":             "semantics: upstream throws on a missing output pointer; the engine yields null and the run succeeds",
	"main#6":             "semantics: upstream accepts any status for a step without successCriteria; the engine requires 2xx",
	"main#20":            "upstream: POST /user answers 400 (retry400, retryLimit 3), 404 (retry404), 201: the engine stops at the first success (3 attempts), as a retry re-runs a step only after a failure; upstream's retry loops nest, and after retry404's attempt succeeds, retry400's loop goes on re-running the step that already succeeded (400, then 201): runStep × 5",
	"main#61":            "semantics: loginUser dependsOn createUserMultiStep, which already ran as the first workflow of the run; a dependency runs at most once per run (Arazzo 1.0.1: dependsOn lists workflows that MUST be completed before this one; docs/semantics.md Workflow steps, dependsOn, nesting), so POST /user is sent once; upstream runs createUserMultiStep again for the dependsOn: runOpenAPIStep × 3",
	"main#55":            "corpus: an output references $steps.createAUser.outputs.username, which the step does not define (step-output-defined)",
}

const jaredRawPrefix = "https://raw.githubusercontent.com/JaredCE/Arazzo-Runner/refs/heads/main/"

type jaredCase struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Arazzo        string `json:"arazzo"`
	InputsFile    string `json:"inputs_file"`
	SourceFetches []struct {
		URL       string `json:"url"`
		Status    int    `json:"status"`
		ServeFile string `json:"serve_file"`
	} `json:"source_fetches"`
	ExpectedRequests []*jaredRequest `json:"expected_requests"`
	ExpectedOutcome  struct {
		Throws       *bool  `json:"throws"`
		ErrorMessage string `json:"error_message"`
		SpyCallCount *struct {
			Method string `json:"method"`
			Count  int    `json:"count"`
		} `json:"spy_call_count"`
		SingleServer    bool     `json:"single_server"`
		OtherAssertions []string `json:"other_assertions"`
	} `json:"expected_outcome"`
	Quirks               []string `json:"quirks"`
	SkippedUpstream      bool     `json:"skipped_upstream"`
	ArazzoMissingLocally bool     `json:"arazzo_missing_locally"`
}

type jaredRequest struct {
	Method        string          `json:"method"`
	URL           string          `json:"url"`
	Query         map[string]any  `json:"query"`
	Headers       map[string]any  `json:"headers"`
	AbsentHeaders []string        `json:"absent_headers"`
	Body          json.RawMessage `json:"body"`
	BodyQuirk     string          `json:"body_quirk"`
	Times         int             `json:"times"`
	Reply         jaredReply      `json:"reply"`
	left          int             // answers left
}

type jaredReply struct {
	Status  int             `json:"status"`
	Headers map[string]any  `json:"headers"`
	Body    json.RawMessage `json:"body"`
}

// jaredErrorKinds maps JaredCE's error messages to the outcomes that mean
// the same failure here: a runner.ErrorKind, or "validation" when the
// engine refuses the document before running (load or validation errors).
var jaredErrorKinds = []struct {
	message *regexp.Regexp
	kinds   []string
}{
	{regexp.MustCompile(`failed the successCriteria$`), []string{string(runner.KindCriteria), string(runner.KindRetryLimit)}},
	{regexp.MustCompile(`^goto (Step|Workflow) does not exist`), []string{"validation", string(runner.KindNotFound)}},
	{regexp.MustCompile(`^Invalid JSON pointer`), []string{string(runner.KindExpression)}},
	{regexp.MustCompile(`^Missing (Workflows|Source Descriptions)$`), []string{"validation"}},
	{regexp.MustCompile(`^Input values do not match Input schema$`), []string{string(runner.KindInputs), "validation"}},
	{regexp.MustCompile(`^The OperationId: .* does not exist$`), []string{"validation"}},
	{regexp.MustCompile(`^No known matching source description`), []string{"validation"}},
	{regexp.MustCompile(`^Error fetching document`), []string{"validation"}},
}

func TestJaredCE(t *testing.T) {
	root := testutil.ConformanceDir(t, "jaredce")
	ty := newTally("jaredce", jaredSkips)
	defer ty.report(t)

	data, err := os.ReadFile(filepath.Join(root, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []jaredCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	for _, c := range f.Cases {
		t.Run(c.ID, func(t *testing.T) {
			if reason := jaredRule(c); reason != "" {
				ty.rule(t, c.ID, reason)
			}
			ty.verdict(t, c.ID, runJaredCase(t, root, c))
		})
	}
}

// jaredRule says why a case cannot be replayed, or "".
func jaredRule(c jaredCase) string {
	switch {
	case c.SkippedUpstream:
		return "skipped upstream (xit)"
	case c.Arazzo == "" || c.ArazzoMissingLocally:
		return "no Arazzo document in the corpus"
	case len(c.ExpectedOutcome.OtherAssertions) > 0:
		return "asserts on the JS Arazzo object, not on a run"
	case strings.HasPrefix(c.ExpectedOutcome.ErrorMessage, "sinon threw"):
		return "the failure is injected into upstream internals with sinon"
	}
	for _, q := range c.Quirks {
		if q == "reply-status-0" {
			return "nock replies with HTTP status 0, which no HTTP server can send"
		}
	}
	return ""
}

// jaredMock answers requests from the ordered interceptor list.
type jaredMock struct {
	mu        sync.Mutex
	reqs      []*jaredRequest
	calls     []call
	unmatched []string
}

func (m *jaredMock) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u := originalURL(r)
	m.mu.Lock()
	m.calls = append(m.calls, call{Method: r.Method, URL: u.String(), Header: r.Header.Clone(), Body: body})
	var hit *jaredRequest
	for _, e := range m.reqs {
		if e.left > 0 && e.matches(r.Method, u, r.Header, body) {
			hit = e
			e.left--
			break
		}
	}
	if hit == nil {
		m.unmatched = append(m.unmatched, fmt.Sprintf("%s %s body=%q", r.Method, u, body))
	}
	m.mu.Unlock()
	if hit == nil {
		// nock fails an unmatched request with a network error.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "no match", http.StatusNotImplemented)
		return
	}
	for k, v := range hit.Reply.Headers {
		w.Header().Set(k, fmt.Sprint(v))
	}
	var out []byte
	var s string
	if len(hit.Reply.Body) > 0 && json.Unmarshal(hit.Reply.Body, &s) == nil {
		out = []byte(s)
	} else if len(hit.Reply.Body) > 0 {
		out = hit.Reply.Body
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	w.WriteHeader(hit.Reply.Status)
	w.Write(out)
}

func defaultPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func unescapePath(p string) string {
	if s, err := url.PathUnescape(p); err == nil {
		return s
	}
	return p
}

func (e *jaredRequest) matches(method string, u *url.URL, h http.Header, body []byte) bool {
	want, err := url.Parse(e.URL)
	if err != nil || !strings.EqualFold(method, e.Method) {
		return false
	}
	if want.Scheme != u.Scheme || !strings.EqualFold(want.Hostname(), u.Hostname()) || defaultPort(want) != defaultPort(u) {
		return false
	}
	if unescapePath(want.EscapedPath()) != unescapePath(u.EscapedPath()) {
		return false
	}
	if e.Query == nil {
		if u.RawQuery != "" {
			return false
		}
	} else {
		got, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return false
		}
		wantQ := url.Values{}
		for k, v := range e.Query {
			key, _ := url.QueryUnescape(k)
			switch x := v.(type) {
			case []any:
				for _, item := range x {
					s, _ := url.QueryUnescape(fmt.Sprint(item))
					wantQ[key] = append(wantQ[key], s)
				}
			default:
				s, _ := url.QueryUnescape(fmt.Sprint(x))
				wantQ[key] = []string{s}
			}
		}
		if !reflect.DeepEqual(map[string][]string(got), map[string][]string(wantQ)) {
			return false
		}
	}
	for k, v := range e.Headers {
		if _, ok := v.(string); !ok {
			// A non-string matcher (nock's function matcher, recorded as
			// {}) only requires the header.
			if h.Get(k) == "" {
				return false
			}
			continue
		}
		if h.Get(k) != v {
			return false
		}
	}
	for _, k := range e.AbsentHeaders {
		if _, ok := h[http.CanonicalHeaderKey(k)]; ok {
			return false
		}
	}
	// The object-Object-body quirk: upstream expects "[object Object]";
	// a conformant engine sends the JSON payload, which is not recorded,
	// so the body is not compared.
	if len(e.Body) > 0 && e.BodyQuirk == "" {
		var s string
		if json.Unmarshal(e.Body, &s) == nil {
			return string(body) == s
		}
		var want, got any
		if json.Unmarshal(e.Body, &want) != nil || json.Unmarshal(body, &got) != nil {
			return false
		}
		return reflect.DeepEqual(want, got)
	}
	return true
}

func runJaredCase(t *testing.T, root string, c jaredCase) problems {
	var p problems
	for _, e := range c.ExpectedRequests {
		e.left = e.Times
		if e.left == 0 {
			e.left = 1
		}
	}
	mk := &jaredMock{reqs: c.ExpectedRequests}
	srv := httptest.NewServer(http.HandlerFunc(mk.handle))
	defer srv.Close()

	fetches := map[string]struct {
		status int
		file   string
	}{}
	for _, f := range c.SourceFetches {
		fetches[f.URL] = struct {
			status int
			file   string
		}{f.Status, filepath.Join(root, f.ServeFile)}
	}
	serve := func(req *http.Request) *http.Response {
		u := *req.URL
		u.Fragment = ""
		if f, ok := fetches[u.String()]; ok {
			return fileResponse(req, f.file, f.status)
		}
		if rest, ok := strings.CutPrefix(u.String(), jaredRawPrefix); ok {
			return fileResponse(req, filepath.Join(root, filepath.FromSlash(rest)), http.StatusOK)
		}
		return nil
	}
	var steps int
	var mu sync.Mutex
	rc := &runConfig{
		clock:  newFakeClock(),
		client: &http.Client{Transport: newRedirectTransport(srv.URL, serve)},
		observer: runner.ObserverFunc(func(e runner.Event) {
			if _, ok := e.(runner.StepStarted); ok {
				mu.Lock()
				steps++
				mu.Unlock()
			}
		}),
	}

	inputs := map[string]map[string]any{}
	var runOpts []engine.RunOption
	if c.InputsFile != "" {
		data, err := os.ReadFile(filepath.Join(root, c.InputsFile))
		if err != nil {
			p.add("inputs: %v", err)
			return p
		}
		if len(bytes.TrimSpace(data)) > 0 {
			// As the CLI reads an inputs file: objects keep their member
			// order (upstream sends {R,G,B} as R=…,G=…,B=…).
			v, order, err := arazzo.DecodeValue(c.InputsFile, data)
			byWorkflow, ok := v.(map[string]any)
			if err != nil || !ok {
				p.add("inputs %s: %v (not an object of workflow inputs)", c.InputsFile, err)
				return p
			}
			for id, in := range byWorkflow {
				if m, ok := in.(map[string]any); ok {
					inputs[id] = m
				}
			}
			runOpts = append(runOpts, engine.WithInputOrder(order))
		}
	}

	ctx := context.Background()
	var kind string
	var runErr error
	var results []*engine.Result
	arazzoPath, err := withoutSchemaKey(t, filepath.Join(root, c.Arazzo))
	if err != nil {
		p.add("%v", err)
		return p
	}
	doc, err := openDoc(ctx, arazzoPath, rc, nil)
	switch {
	case err != nil:
		kind, runErr = "validation", err
	case len(doc.invalid) > 0 && doc.bypass == nil:
		kind, runErr = "validation", doc.invalid
	default:
		results, runErr = doc.runAll(ctx, inputs, runOpts...)
		var se *runner.StepError
		if errors.As(runErr, &se) {
			kind = string(se.Kind)
		} else if runErr != nil {
			var ve *engine.ValidationError
			if errors.As(runErr, &ve) {
				kind = "validation"
			} else {
				kind = "other"
			}
		}
	}

	want := c.ExpectedOutcome
	throws := runErr != nil
	wantThrows := want.Throws != nil && *want.Throws
	// Upstream tests that spy on a call count and expect an error are
	// written as try { await run; expect(spy.callCount) } catch (err) {
	// expect(err.message) } (main#16, main#18, …): a run that does not
	// throw never reaches the catch, so it passes on the try branch's
	// count alone. expected.json records both branches.
	tryBranch := wantThrows && !throws && want.SpyCallCount != nil
	switch {
	case tryBranch:
	case wantThrows && !throws:
		p.add("run succeeded, want an error (%q)", want.ErrorMessage)
	case !wantThrows && throws:
		p.add("run failed (%s): %s", kind, describeAll(results, runErr))
	case wantThrows && want.ErrorMessage != "":
		var kinds []string
		for _, m := range jaredErrorKinds {
			if m.message.MatchString(want.ErrorMessage) {
				kinds = m.kinds
				break
			}
		}
		if kinds == nil {
			p.add("harness: no error kind mapped for %q", want.ErrorMessage)
		} else if !contains(kinds, kind) {
			p.add("error kind %s, want one of %v (upstream: %q): %s", kind, kinds, want.ErrorMessage, describeAll(results, runErr))
		}
	}
	mk.mu.Lock()
	calls, unmatched := len(mk.calls), mk.unmatched
	mk.mu.Unlock()
	if !wantThrows || tryBranch {
		for _, u := range unmatched {
			p.add("request matches no expected interceptor: %s", u)
		}
	}
	if os.Getenv("JARED_DEBUG") != "" {
		// JARED_DEBUG=1 go test -run 'JaredCE/^id$' -v shows every request
		// with its headers (which reqheaders compare) and the results.
		mk.mu.Lock()
		for _, c := range mk.calls {
			t.Logf("request %s %s %v %q", c.Method, c.URL, c.Header, c.Body)
		}
		mk.mu.Unlock()
		for _, r := range results {
			b, _ := json.MarshalIndent(r, "", " ")
			t.Logf("result %s", b)
		}
	}
	if sc := want.SpyCallCount; sc != nil {
		got := steps
		if sc.Method == "runOpenAPIStep" {
			got = calls
		}
		if got != sc.Count {
			p.add("%s called %d times, want %d", sc.Method, got, sc.Count)
		}
	}
	return p
}

func describeAll(results []*engine.Result, err error) string {
	if len(results) == 0 {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	var parts []string
	for i, r := range results {
		e := error(nil)
		if i == len(results)-1 {
			e = err
		}
		if d := describe(r, e); d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// withoutSchemaKey returns path, or a copy of it in a temporary directory
// without its top-level "$schema": the official schema rejects the key
// (FORMAT.md §1 says to strip or ignore it). All jaredce documents name
// their sources by absolute URL, so the copy loads the same sources.
func withoutSchemaKey(t *testing.T, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil || doc["$schema"] == nil {
		return path, nil
	}
	delete(doc, "$schema")
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	copyPath := filepath.Join(t.TempDir(), filepath.Base(path))
	return copyPath, os.WriteFile(copyPath, out, 0o644)
}
