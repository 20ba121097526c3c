package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// echoAPI records every request it gets and answers 200 with {"ok":true}.
type echoAPI struct {
	mu   sync.Mutex
	reqs []echoed
	// stall, when set, makes GET /slow wait for it (or the client) first.
	stall chan struct{}
}

type echoed struct {
	method, path, rawQuery, contentType string
	body                                string
}

func (e *echoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.reqs = append(e.reqs, echoed{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), string(data)})
	e.mu.Unlock()
	if r.URL.Path == "/v1/slow" && e.stall != nil {
		select {
		case <-e.stall:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"ok":true}`))
}

func (e *echoAPI) last(t *testing.T) echoed {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return e.reqs[len(e.reqs)-1]
}

const echoOpenAPI = `openapi: 3.2.0
info: {title: echo, version: "1"}
paths:
  /echo:
    post:
      operationId: echo
      requestBody:
        content:
          application/json: {schema: {type: object}}
          application/xml: {schema: {type: string}}
      responses: {"200": {description: ok}}
  /slow:
    get:
      operationId: slow
      responses: {"200": {description: ok}}
  /search:
    get:
      operationId: search
      parameters:
        - name: filter
          in: querystring
          content:
            application/x-www-form-urlencoded:
              schema: {type: object}
      responses: {"200": {description: ok}}
`

// loadEcho writes doc next to the echo OpenAPI description and loads it.
func loadEcho(t *testing.T, doc string) *arazzo.Bundle {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "echo.yaml"), []byte(echoOpenAPI), 0o644)
	path := filepath.Join(dir, "flow.arazzo.yaml")
	os.WriteFile(path, []byte(`arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: echo, url: ./echo.yaml, type: openapi}
`+doc), 0o644)
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	if d := arazzo.Validate(b, arazzo.ValidateOptions{}); d.HasErrors() {
		t.Fatalf("validate: %v", d.Errors())
	}
	return b
}

func runEcho(t *testing.T, api *echoAPI, doc string, inputs map[string]any) (*runner.WorkflowResult, error) {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	r, err := runner.New(loadEcho(t, doc), runner.Options{Servers: map[string]string{"echo": srv.URL + "/v1"}, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), "w", inputs)
}

func TestPayloadReplacements(t *testing.T) {
	api := &echoAPI{}
	doc := `workflows:
  - workflowId: w
    inputs: {type: object, properties: {id: {type: string}, tag: {type: string}, n: {type: integer}, flag: {type: boolean}}}
    steps:
      - stepId: json
        operationId: echo
        requestBody:
          contentType: application/json
          payload:
            backup: {id: placeholder, labels: [a, b]}
            keep: {$price: "$5 or $inputs"}
          replacements:
            - {target: /backup/id, value: $inputs.id}
            - {target: /backup/labels/0, value: "{$inputs.tag}-x"}
            - {target: /backup/labels/-, value: $inputs.n}
            - {target: /created/by, value: arazzo}
            - {target: "$.keep.flag", targetSelectorType: jsonpath, value: $inputs.flag}
      - stepId: xml
        operationId: echo
        requestBody:
          contentType: application/xml
          payload: "<restore><backup id=\"old\">old</backup><reason>none</reason></restore>"
          replacements:
            - {target: /restore/backup/@id, targetSelectorType: xpath, value: $inputs.id}
            - {target: /restore/reason, targetSelectorType: xpath, value: "nightly {$inputs.tag}"}
`
	for round := 1; round <= 2; round++ {
		// Twice: replacements must not write into the compiled payload.
		_, err := runEcho(t, api, doc, map[string]any{"id": "bk-7", "tag": "t" + string(rune('0'+round)), "n": 3, "flag": true})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		api.mu.Lock()
		jsonReq, xmlReq := api.reqs[len(api.reqs)-2], api.reqs[len(api.reqs)-1]
		api.mu.Unlock()
		var got map[string]any
		if err := json.Unmarshal([]byte(jsonReq.body), &got); err != nil {
			t.Fatalf("json body %q: %v", jsonReq.body, err)
		}
		want := `{"backup":{"id":"bk-7","labels":["t` + string(rune('0'+round)) + `-x","b",3]},"created":{"by":"arazzo"},"keep":{"$price":"$5 or $inputs","flag":true}}`
		if b, _ := json.Marshal(got); string(b) != want {
			t.Errorf("round %d json body\n got %s\nwant %s", round, b, want)
		}
		if !strings.HasPrefix(jsonReq.contentType, "application/json") {
			t.Errorf("content type %q", jsonReq.contentType)
		}
		for _, want := range []string{`<backup id="bk-7">old</backup>`, `<reason>nightly t` + string(rune('0'+round)) + `</reason>`} {
			if !strings.Contains(xmlReq.body, want) {
				t.Errorf("round %d xml body %q lacks %q", round, xmlReq.body, want)
			}
		}
		if !strings.HasPrefix(xmlReq.contentType, "application/xml") {
			t.Errorf("xml content type %q", xmlReq.contentType)
		}
	}
}

func TestReplacementTargetErrorsAreRequestErrors(t *testing.T) {
	api := &echoAPI{}
	_, err := runEcho(t, api, `workflows:
  - workflowId: w
    steps:
      - stepId: json
        operationId: echo
        requestBody:
          contentType: application/json
          payload: {list: [1]}
          replacements:
            - {target: /list/7, value: x}
`, nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindRequest || !strings.Contains(se.Message, "/list/7") {
		t.Fatalf("err = %v", err)
	}
	if len(api.reqs) != 0 {
		t.Errorf("a request was sent with a broken body")
	}
}

func TestStepTimeout(t *testing.T) {
	api := &echoAPI{stall: make(chan struct{})}
	defer close(api.stall)
	start := time.Now()
	res, err := runEcho(t, api, `workflows:
  - workflowId: w
    steps:
      - stepId: slow
        operationId: slow
        timeout: 100
`, nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindTimeout || !strings.Contains(se.Message, "step timeout of 100ms exceeded") {
		t.Fatalf("err = %v", err)
	}
	if res.Steps[0].StatusCode != 0 || time.Since(start) > 20*time.Second {
		t.Errorf("step result %+v", res.Steps[0])
	}
}

func TestRunTimeoutStopsTheRun(t *testing.T) {
	api := &echoAPI{stall: make(chan struct{})}
	defer close(api.stall)
	srv := httptest.NewServer(api)
	defer srv.Close()
	r, err := runner.New(loadEcho(t, `workflows:
  - workflowId: w
    steps:
      - {stepId: slow, operationId: slow}
`), runner.Options{Servers: map[string]string{"echo": srv.URL + "/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := r.Run(ctx, "w", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || res.Status != runner.StatusCancelled || se.StepID != "slow" {
		t.Fatalf("status %s, err = %v", res.Status, err)
	}
	if se.Kind != runner.KindTimeout && se.Kind != runner.KindTransport {
		t.Errorf("kind = %s", se.Kind)
	}
}

func TestQuerystringParameter(t *testing.T) {
	api := &echoAPI{}
	_, err := runEcho(t, api, `workflows:
  - workflowId: w
    inputs: {type: object, properties: {filter: {type: object}}}
    steps:
      - stepId: find
        operationId: search
        parameters:
          - name: filter
            in: querystring
            value: $inputs.filter
`, map[string]any{"filter": map[string]any{"database": "db 1&2", "status": "completed"}})
	if err != nil {
		t.Fatal(err)
	}
	got := api.last(t)
	if got.path != "/v1/search" {
		t.Errorf("path %q", got.path)
	}
	for _, want := range []string{"database=db+1%262", "status=completed"} {
		if !strings.Contains(got.rawQuery, want) {
			t.Errorf("query %q lacks %q", got.rawQuery, want)
		}
	}
}
