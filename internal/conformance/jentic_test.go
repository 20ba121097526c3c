package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/runner"
)

// jenticSkips lists the jentic-runner cases known to fail, with why. IDs are
// "<fixture>/<workflowId>" (plus "#n" for a repeated workflowId) and
// "test_data/<name>".
var jenticSkips = map[string]string{
	"bnpl/ApplyForLoanAtCheckout": "corpus: the first onSuccess action (end, criteria existingCustomerNotEligible == false) matches the mocked reply, " +
		"so a conformant engine ends after 1 call; upstream's 6 calls come from its lenient criteria evaluation",
	"newyork_times/Search Articles by Keyword": "corpus: input hl is true (boolean) but the workflow's input schema says string; the engine validates inputs, upstream does not",
	"pet_coupons/apply-coupon":                 "corpus: step find-coupons passes pet_id, the operation's path parameter is petId (path-parameter-required), so the request cannot be built",
	"pet_coupons/buy-available-pet": "corpus: workflowId step place-order has successCriteria $statusCode == 200, but a workflow step has no status code; " +
		"the engine fails the criterion (upstream skipped it)",
	"train/Search Stations": "corpus: stepIds contain spaces, so `$steps.Plan a Trip_….outputs.x` is not a runtime expression (the output stays a literal string)",
	"xkcd/getCurrentComic":  "corpus: the document's workflow output is `date: null`, so date is null; upstream skipped the assertion",
	"xkcd/getComicById":     "corpus: same as xkcd/getCurrentComic (`date: null` in the document)",
}

type jenticConfig struct {
	BaseURLs    map[string]string       `json:"base_urls"`
	CustomMocks map[string][]jenticMock `json:"custom_mocks"`
	Workflows   []jenticCase            `json:"workflows"`
}

type jenticMock struct {
	Path       string `json:"path"`
	Method     string `json:"method"`
	StatusCode int    `json:"status_code"`
	Response   any    `json:"response"`
}

type jenticCase struct {
	ID               string         `json:"id"`
	ArazzoSpec       string         `json:"arazzo_spec"`
	Inputs           map[string]any `json:"inputs"`
	Params           map[string]any `json:"params"`
	ExpectSuccess    *bool          `json:"expect_success"`
	ExpectedOutputs  map[string]any `json:"expected_outputs"`
	ExpectedAPICalls *int           `json:"expected_api_calls"`
	CustomMocks      []jenticMock   `json:"custom_mocks"`
	Mode             string         `json:"mode"`
}

// decodeInto converts JSON-like values into a struct through encoding/json.
func decodeInto(v any, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// jenticOpenAPI is one OpenAPI file of a fixture.
type jenticOpenAPI struct {
	path, stem string
	doc        map[string]any
}

type jenticFixture struct {
	name, dir string
	arazzo    []string // Arazzo files, sorted
	openapi   []jenticOpenAPI
	cfg       jenticConfig
}

// fileStem is the file name without its last extension.
func fileStem(p string) string {
	b := filepath.Base(p)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

func loadJenticFixture(dir string) (*jenticFixture, error) {
	f := &jenticFixture{name: filepath.Base(dir), dir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || name == "test_config.yaml" || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		v, err := readYAML(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		if _, ok := m["arazzo"]; ok && ext != ".json" {
			f.arazzo = append(f.arazzo, filepath.Join(dir, name))
		}
		if _, ok := m["openapi"]; ok {
			f.openapi = append(f.openapi, jenticOpenAPI{path: filepath.Join(dir, name), stem: fileStem(name), doc: m})
		}
	}
	if cfgPath := filepath.Join(dir, "test_config.yaml"); fileExists(cfgPath) {
		v, err := readYAML(cfgPath)
		if err != nil {
			return nil, err
		}
		if err := decodeInto(v, &f.cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	}
	return f, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// mock is one registered mock of the jentic harness.
type mock struct {
	method  string
	pattern string
	status  int
	body    any
	full    *regexp.Regexp // whole pattern against the whole URL
	path    *regexp.Regexp // pattern's path part against the raw path
	norm    *regexp.Regexp // normalised path part against the normalised path
}

var versionPrefix = regexp.MustCompile(`^(?:/api/v\d+|/v\d+|/api)(/[^/].*)$`)

// normalisePath strips one leading /api/vN, /vN or /api segment when a
// further segment follows (FORMAT.md §3).
func normalisePath(p string) string {
	if m := versionPrefix.FindStringSubmatch(p); m != nil {
		return m[1]
	}
	return p
}

func patternRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '{':
			if j := strings.IndexByte(p[i:], '}'); j > 0 {
				b.WriteString("[^/]+")
				i += j
				continue
			}
			b.WriteString(regexp.QuoteMeta("{"))
		case '*':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func newMock(method, pattern string, status int, body any) *mock {
	if status == 0 {
		status = http.StatusOK
	}
	if body == nil {
		body = map[string]any{}
	}
	m := &mock{method: strings.ToUpper(method), pattern: pattern, status: status, body: body}
	m.full = patternRegexp(pattern)
	pathPart := pattern
	if strings.Contains(pattern, "://") {
		if u, err := url.Parse(strings.NewReplacer("{", "%7B", "}", "%7D").Replace(pattern)); err == nil {
			pathPart = strings.NewReplacer("%7B", "{", "%7D", "}").Replace(u.EscapedPath())
		}
	}
	m.path = patternRegexp(pathPart)
	m.norm = patternRegexp(normalisePath(pathPart))
	return m
}

func (m *mock) matches(method string, u *url.URL) bool {
	if !strings.EqualFold(method, m.method) {
		return false
	}
	full := u.Scheme + "://" + u.Host + u.Path
	return m.full.MatchString(full) || m.norm.MatchString(normalisePath(u.Path)) || m.path.MatchString(u.Path)
}

// mockServer serves mocks in registration order (first match wins) and
// answers anything else with 404 {"error":"Not found"}.
type mockServer struct {
	mocks []*mock
	mu    sync.Mutex
	calls []call
	srv   *httptest.Server
}

func newMockServer(mocks []*mock) *mockServer {
	ms := &mockServer{mocks: mocks}
	ms.srv = httptest.NewServer(http.HandlerFunc(ms.handle))
	return ms
}

func (ms *mockServer) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u := originalURL(r)
	ms.mu.Lock()
	ms.calls = append(ms.calls, call{Method: r.Method, URL: u.String(), Header: r.Header.Clone(), Body: body})
	ms.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	for _, m := range ms.mocks {
		if m.matches(r.Method, u) {
			data, _ := json.Marshal(jsonValue(m.body))
			w.WriteHeader(m.status)
			w.Write(data)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"error":"Not found"}`)
}

func (ms *mockServer) Calls() []call {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]call(nil), ms.calls...)
}

// autoMocks generates the 200 mocks of FORMAT.md §3a for one OpenAPI file.
func autoMocks(api jenticOpenAPI, base string) []*mock {
	if base == "" {
		if servers, _ := api.doc["servers"].([]any); len(servers) > 0 {
			if s, _ := servers[0].(map[string]any); s != nil {
				base, _ = s["url"].(string)
			}
		}
	}
	if base == "" {
		return nil
	}
	base = strings.TrimRight(base, "/")
	paths, _ := api.doc["paths"].(map[string]any)
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys) // the document's own order is lost in decoding
	var out []*mock
	for _, p := range keys {
		item, _ := paths[p].(map[string]any)
		for _, method := range []string{"get", "post", "put", "delete", "patch"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			out = append(out, newMock(method, base+p, http.StatusOK, autoBody(op)))
		}
	}
	return out
}

func autoBody(op map[string]any) any {
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses["200"].(map[string]any)
	if !ok {
		resp, _ = responses["201"].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, ok := media["schema"].(map[string]any)
	if !ok {
		return map[string]any{"status": "workflow_complete"}
	}
	switch schema["type"] {
	case "object":
		return sampleObject(schema)
	case "array":
		items, _ := schema["items"].(map[string]any)
		return []any{sampleValue("item", items)}
	}
	return map[string]any{"result": "success"}
}

func sampleObject(schema map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		out[name] = sampleValue(name, ps)
	}
	return out
}

func sampleValue(name string, s map[string]any) any {
	if s == nil {
		return "test-" + name
	}
	if _, ok := s["$ref"]; ok {
		return map[string]any{"result": "success"}
	}
	switch s["type"] {
	case "integer":
		return 123
	case "number":
		return 123.45
	case "boolean":
		return true
	case "array":
		items, _ := s["items"].(map[string]any)
		return []any{sampleValue(name, items)}
	case "object":
		if props, _ := s["properties"].(map[string]any); props != nil {
			if _, ok := props["id"]; ok {
				return map[string]any{"id": 123}
			}
		}
		return map[string]any{"name": "test-" + name}
	}
	if enum, _ := s["enum"].([]any); len(enum) > 0 {
		return enum[0]
	}
	switch s["format"] {
	case "date-time":
		return "2023-01-01T12:00:00Z"
	case "uuid":
		return "00000000-0000-0000-0000-000000000000"
	case "email":
		return "test@example.com"
	}
	return "test-" + name
}

// arazzoSources reads sourceDescriptions (name → url) from an Arazzo file.
func arazzoSources(path string) (map[string]string, error) {
	v, err := readYAML(path)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	out := map[string]string{}
	sds, _ := m["sourceDescriptions"].([]any)
	for _, sd := range sds {
		s, _ := sd.(map[string]any)
		name, _ := s["name"].(string)
		u, _ := s["url"].(string)
		out[name] = u
	}
	return out, nil
}

func TestJenticRunner(t *testing.T) {
	root := testutil.ConformanceDir(t, "jentic-runner")
	ty := newTally("jentic-runner", jenticSkips)
	defer ty.report(t)

	dirs, err := os.ReadDir(filepath.Join(root, "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		fx, err := loadJenticFixture(filepath.Join(root, "fixtures", d.Name()))
		if err != nil {
			t.Errorf("fixture %s: %v", d.Name(), err)
			continue
		}
		if len(fx.arazzo) == 0 || len(fx.openapi) == 0 {
			t.Run(fx.name, func(t *testing.T) {
				ty.rule(t, fx.name, "no Arazzo or no OpenAPI document (upstream skips the fixture too)")
			})
			continue
		}
		cases := fx.cfg.Workflows
		if len(cases) == 0 {
			// FORMAT.md §1: every workflow of every Arazzo file, no checks.
			for _, a := range fx.arazzo {
				v, _ := readYAML(a)
				m, _ := v.(map[string]any)
				ws, _ := m["workflows"].([]any)
				for _, w := range ws {
					wm, _ := w.(map[string]any)
					id, _ := wm["workflowId"].(string)
					cases = append(cases, jenticCase{ID: id, ArazzoSpec: filepath.Base(a)})
				}
			}
		}
		count := map[string]int{}
		for _, c := range cases {
			count[c.ID]++
			id := fx.name + "/" + c.ID
			if n := count[c.ID]; n > 1 {
				id += fmt.Sprintf("#%d", n)
			}
			t.Run(id, func(t *testing.T) {
				if c.Mode == "real" {
					ty.rule(t, id, "real-mode case")
				}
				ty.verdict(t, id, runJenticCase(t, fx, c))
			})
		}
	}

	cases, err := loadJenticDataCases(filepath.Join(root, "test_data", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		id := "test_data/" + c.Name
		t.Run(id, func(t *testing.T) {
			ty.verdict(t, id, runJenticDataCase(t, filepath.Join(root, "test_data"), c))
		})
	}
}

func runJenticCase(t *testing.T, fx *jenticFixture, c jenticCase) problems {
	var p problems
	arazzoPath := fx.arazzo[0]
	if c.ArazzoSpec != "" {
		arazzoPath = filepath.Join(fx.dir, c.ArazzoSpec)
	}
	sources, err := arazzoSources(arazzoPath)
	if err != nil {
		p.add("reading %s: %v", arazzoPath, err)
		return p
	}

	// Mocks: per-case > global > auto (the upstream README's priority).
	var mocks []*mock
	for _, m := range c.CustomMocks {
		if m.Path == "" {
			continue
		}
		method := m.Method
		if method == "" {
			method = "post"
		}
		mocks = append(mocks, newMock(method, m.Path, m.StatusCode, m.Response))
	}
	for _, api := range fx.openapi {
		keys := []string{api.stem}
		for name, u := range sources {
			if fileStem(u) == api.stem && name != api.stem {
				keys = append(keys, name)
			}
		}
		for _, k := range keys {
			for _, m := range fx.cfg.CustomMocks[k] {
				if m.Path == "" {
					continue
				}
				method := m.Method
				if method == "" {
					method = "get"
				}
				mocks = append(mocks, newMock(method, m.Path, m.StatusCode, m.Response))
			}
		}
	}
	for _, api := range fx.openapi {
		mocks = append(mocks, autoMocks(api, fx.cfg.BaseURLs[api.stem])...)
	}
	ms := newMockServer(mocks)
	defer ms.srv.Close()

	rc := &runConfig{clock: newFakeClock(), transport: newRedirectTransport(ms.srv.URL, nil)}
	// A source whose server URL is relative (bnpl's /bnpl/v1) needs an
	// explicit server: the engine has no http(s) location to resolve it.
	for name, u := range sources {
		for _, api := range fx.openapi {
			if fileStem(u) != api.stem {
				continue
			}
			if rel := relativeServer(api.doc); rel != "" {
				if rc.servers == nil {
					rc.servers = map[string]string{}
				}
				rc.servers[name] = ms.srv.URL + rel
				rc.allowDefault = true
			}
		}
	}

	ctx := context.Background()
	doc, err := openDoc(ctx, arazzoPath, rc, ignoreAll)
	if err != nil {
		p.add("open %s: %v", arazzoPath, err)
		return p
	}
	if len(doc.invalid) > 0 {
		t.Logf("run despite validation errors: %v", doc.invalid)
	}
	inputs := c.Inputs
	if inputs == nil {
		inputs = c.Params
	}
	if inputs == nil {
		inputs = map[string]any{}
	}
	res, runErr := doc.run(ctx, c.ID, jsonValue(inputs).(map[string]any))

	wantSuccess := c.ExpectSuccess == nil || *c.ExpectSuccess
	succeeded := runErr == nil && res != nil && res.Status == runner.StatusSucceeded
	if res != nil {
		for _, s := range res.Steps {
			if s.Status == runner.StatusFailed {
				succeeded = false
			}
		}
	}
	switch {
	case wantSuccess && !succeeded:
		p.add("workflow failed, want success: %s", describe(res, runErr))
	case !wantSuccess && succeeded:
		p.add("workflow succeeded, want a failed step")
	}

	if c.ExpectedAPICalls != nil {
		if calls := ms.Calls(); len(calls) != *c.ExpectedAPICalls {
			p.add("sent %d API calls, want %d: %s", len(calls), *c.ExpectedAPICalls, callLines(calls))
		}
	}

	if len(c.ExpectedOutputs) > 0 {
		flat, order := flattenOutputs(res)
		keys := make([]string, 0, len(c.ExpectedOutputs))
		for k := range c.ExpectedOutputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			want := c.ExpectedOutputs[k]
			got, found := lookupOutput(flat, order, k)
			switch {
			case want == nil && (!found || got == nil):
			case want == nil:
				p.add("output %q = %s, want absent or null", k, show(got))
			case !found:
				p.add("output %q not found (outputs: %s)", k, show(flat))
			case !jsonEqual(got, want):
				p.add("output %q = %s, want %s", k, show(got), show(want))
			}
		}
	}
	return p
}

// relativeServer returns servers[0].url of an OpenAPI document when it is
// a relative URL.
func relativeServer(doc map[string]any) string {
	servers, _ := doc["servers"].([]any)
	if len(servers) == 0 {
		return ""
	}
	s, _ := servers[0].(map[string]any)
	u, _ := s["url"].(string)
	if strings.HasPrefix(u, "/") {
		return strings.TrimRight(u, "/")
	}
	return ""
}

// flattenOutputs builds FORMAT.md §4's map: "<stepId>.<output>" for every
// executed step in order, then the workflow outputs, which overwrite.
func flattenOutputs(res *engine.Result) (map[string]any, []string) {
	flat := map[string]any{}
	var order []string
	put := func(k string, v any) {
		if _, ok := flat[k]; !ok {
			order = append(order, k)
		}
		flat[k] = v
	}
	if res == nil {
		return flat, nil
	}
	for _, s := range res.Steps {
		names := make([]string, 0, len(s.Outputs))
		for n := range s.Outputs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			put(s.StepID+"."+n, s.Outputs[n])
		}
	}
	names := make([]string, 0, len(res.Outputs))
	for n := range res.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		put(n, res.Outputs[n])
	}
	return flat, order
}

// lookupOutput finds key exactly, else the first entry whose last
// "."-segment equals key.
func lookupOutput(flat map[string]any, order []string, key string) (any, bool) {
	if v, ok := flat[key]; ok {
		return v, true
	}
	for _, k := range order {
		if i := strings.LastIndexByte(k, '.'); i >= 0 && k[i+1:] == key {
			return flat[k], true
		}
	}
	return nil, false
}

func callLines(calls []call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "\n\t\t%s %s", c.Method, c.URL)
	}
	return b.String()
}

// jenticDataCase is one end-to-end case of test_data/cases.json.
type jenticDataCase struct {
	Name               string            `json:"name"`
	Arazzo             string            `json:"arazzo"`
	WorkflowID         string            `json:"workflowId"`
	Inputs             map[string]any    `json:"inputs"`
	SourceDescriptions map[string]string `json:"source_descriptions"`
	Mocks              []struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
		JSON   any    `json:"json"`
	} `json:"mocks"`
	Expect struct {
		Status              string         `json:"status"`
		Outputs             map[string]any `json:"outputs"`
		APICallCount        *int           `json:"api_call_count"`
		APICallMethods      []string       `json:"api_call_methods"`
		RequestHostsInclude []string       `json:"request_hosts_include"`
		RequestsToHost      map[string]struct {
			Count       int    `json:"count"`
			URLContains string `json:"url_contains"`
		} `json:"requests_to_host"`
		StepOutputsPresentFor []string `json:"step_outputs_present_for"`
	} `json:"expect"`
}

func loadJenticDataCases(path string) ([]jenticDataCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Cases []jenticDataCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.Cases, nil
}

func runJenticDataCase(t *testing.T, dir string, c jenticDataCase) problems {
	var p problems
	arazzoPath := filepath.Join(dir, c.Arazzo)
	sources, err := arazzoSources(arazzoPath)
	if err != nil {
		p.add("%v", err)
		return p
	}
	// The sources are https URLs: serve each from its local file.
	files := map[string]string{}
	for name, u := range sources {
		if f, ok := c.SourceDescriptions[name]; ok {
			files[strings.TrimRight(u, "/")] = filepath.Join(dir, f)
		}
	}
	serve := func(req *http.Request) *http.Response {
		u := *req.URL
		u.RawQuery, u.Fragment = "", ""
		if f, ok := files[strings.TrimRight(u.String(), "/")]; ok && req.Method == http.MethodGet {
			return fileResponse(req, f, http.StatusOK)
		}
		return nil
	}
	var mocks []*mock
	for _, m := range c.Mocks {
		mocks = append(mocks, newMock(m.Method, m.Path, m.Status, m.JSON))
	}
	ms := newMockServer(mocks)
	defer ms.srv.Close()
	rc := &runConfig{clock: newFakeClock(), client: &http.Client{Transport: newRedirectTransport(ms.srv.URL, serve)}}
	ctx := context.Background()
	doc, err := openDoc(ctx, arazzoPath, rc, nil)
	if err != nil {
		p.add("open: %v", err)
		return p
	}
	if len(doc.invalid) > 0 {
		p.add("document is invalid: %v", doc.invalid)
		return p
	}
	res, runErr := doc.run(ctx, c.WorkflowID, c.Inputs)
	if c.Expect.Status == "workflow_complete" && (runErr != nil || res == nil || res.Status != runner.StatusSucceeded) {
		p.add("workflow did not complete: %s", describe(res, runErr))
	}
	if res != nil && c.Expect.Outputs != nil && !jsonEqual(res.Outputs, c.Expect.Outputs) {
		p.add("outputs = %s, want %s", show(res.Outputs), show(c.Expect.Outputs))
	}
	calls := ms.Calls()
	if n := c.Expect.APICallCount; n != nil && len(calls) != *n {
		p.add("sent %d API calls, want %d:%s", len(calls), *n, callLines(calls))
	}
	if want := c.Expect.APICallMethods; want != nil {
		var got []string
		for _, cl := range calls {
			got = append(got, cl.Method)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			p.add("API call methods = %v, want %v", got, want)
		}
	}
	hostCalls := map[string][]string{}
	for _, cl := range calls {
		if u, err := url.Parse(cl.URL); err == nil {
			hostCalls[u.Hostname()] = append(hostCalls[u.Hostname()], cl.URL)
		}
	}
	for _, h := range c.Expect.RequestHostsInclude {
		if len(hostCalls[h]) == 0 {
			p.add("no request to host %s:%s", h, callLines(calls))
		}
	}
	for h, want := range c.Expect.RequestsToHost {
		got := hostCalls[h]
		if len(got) != want.Count {
			p.add("%d requests to %s, want %d", len(got), h, want.Count)
		}
		for _, u := range got {
			if !strings.Contains(u, want.URLContains) {
				p.add("request %s does not contain %q", u, want.URLContains)
			}
		}
	}
	if res != nil {
		for _, id := range c.Expect.StepOutputsPresentFor {
			found := false
			for _, s := range res.Steps {
				if s.StepID == id && len(s.Outputs) > 0 {
					found = true
				}
			}
			if !found {
				p.add("step %s has no outputs", id)
			}
		}
	}
	return p
}
