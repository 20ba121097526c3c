package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// pathLog is a server that records the paths it is asked for.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.paths = append(p.paths, r.Method+" "+r.URL.Path)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{}`))
}

func (p *pathLog) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths...)
}

// loadServers writes an OpenAPI description with servers at the root, at
// a path item and at an operation (their URLs from urls), and a workflow
// that calls one operation of each kind.
func loadServers(t *testing.T, urls map[string]string, opServer string) *arazzo.Bundle {
	t.Helper()
	dir := t.TempDir()
	api := `openapi: 3.0.3
info: {title: servers, version: "1"}
servers:
  - url: ROOT/v2
  - url: http://127.0.0.1:1/second
paths:
  /pet/{petId}:
    servers:
      - url: PATH/{basePath}
        variables:
          basePath: {default: v3}
      - url: http://127.0.0.1:1/second
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses: {"200": {description: ok}}
  /user:
    servers:
      - url: PATH/unused
    get:
      operationId: getUser
      servers:
        - url: ` + opServer + `
        - url: http://127.0.0.1:1/second
      responses: {"200": {description: ok}}
  /store:
    get:
      operationId: getStore
      responses: {"200": {description: ok}}
`
	for k, v := range urls {
		api = strings.ReplaceAll(api, k, v)
	}
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(api), 0o644)
	path := filepath.Join(dir, "flow.arazzo.yaml")
	os.WriteFile(path, []byte(`arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: pet
        operationId: getPet
        parameters: [{name: petId, in: path, value: 1}]
      - stepId: user
        operationId: getUser
      - stepId: store
        operationId: getStore
`), 0o644)
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return b
}

func newPathLog(t *testing.T) (*pathLog, string) {
	t.Helper()
	l := &pathLog{}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, srv.URL
}

// OpenAPI: an operation's servers override its path item's, which
// override the description's; the first of each list is used, with
// variables at their defaults.
func TestOperationAndPathServers(t *testing.T) {
	root, rootURL := newPathLog(t)
	path, pathURL := newPathLog(t)
	op, opURL := newPathLog(t)
	b := loadServers(t, map[string]string{"ROOT": rootURL, "PATH": pathURL}, opURL+"/v1")
	r, err := runner.New(b, runner.Options{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), "w", nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	for _, c := range []struct {
		name string
		log  *pathLog
		want string
	}{
		{"path-level server", path, "GET /v3/pet/1"},
		{"operation-level server", op, "GET /v1/user"},
		{"description server", root, "GET /v2/store"},
	} {
		if got := c.log.got(); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s got %q, want [%q]", c.name, got, c.want)
		}
	}
}

// A server override replaces every server the description names,
// operation and path level included.
func TestServerOverrideWinsOverOperationServers(t *testing.T) {
	root, rootURL := newPathLog(t)
	path, pathURL := newPathLog(t)
	op, opURL := newPathLog(t)
	override, overrideURL := newPathLog(t)
	b := loadServers(t, map[string]string{"ROOT": rootURL, "PATH": pathURL}, opURL+"/v1")
	r, err := runner.New(b, runner.Options{Servers: map[string]string{"api": overrideURL + "/test"}, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), "w", nil); err != nil {
		t.Fatalf("run: %v", err)
	}
	want := []string{"GET /test/pet/1", "GET /test/user", "GET /test/store"}
	if got := override.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("override got %q, want %q", got, want)
	}
	for _, l := range []*pathLog{root, path, op} {
		if got := l.got(); len(got) > 0 {
			t.Errorf("a described server got %q despite the override", got)
		}
	}
}

// An operation server that cannot be expanded fails the run before any
// request, naming the operation.
func TestBrokenOperationServerFailsBeforeAnyRequest(t *testing.T) {
	root, rootURL := newPathLog(t)
	path, pathURL := newPathLog(t)
	b := loadServers(t, map[string]string{"ROOT": rootURL, "PATH": pathURL}, "http://127.0.0.1:1/{undeclared}")
	r, err := runner.New(b, runner.Options{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), "w", nil)
	if err == nil || !strings.Contains(err.Error(), "operation GET /user") || !strings.Contains(err.Error(), "{undeclared}") {
		t.Fatalf("err = %v, want one naming operation GET /user and {undeclared}", err)
	}
	if n := len(root.got()) + len(path.got()); n != 0 {
		t.Errorf("%d requests were sent before the error", n)
	}
}
