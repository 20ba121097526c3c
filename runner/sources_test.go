package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// TestSameSourceNameInTwoDocuments: a parent document and the Arazzo
// document it calls both name their OpenAPI source "api", with different
// servers. Each step's request goes to the server of its own document's
// source, whichever document's source comes first by name.
func TestSameSourceNameInTwoDocuments(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	api := func(base string) string {
		return `openapi: 3.0.3
info: {title: api, version: "1"}
servers: [{url: "` + srv.URL + base + `"}]
paths:
  /ping:
    get:
      operationId: ping
      responses: {"200": {description: ok}}
`
	}
	files := map[string]string{
		"parent-api.yaml": api("/parent"),
		"child-api.yaml":  api("/child"),
		"parent.arazzo.yaml": `arazzo: 1.0.1
info: {title: parent, version: "1"}
sourceDescriptions:
  - {name: api, url: ./parent-api.yaml, type: openapi}
  - {name: a-child, url: ./child.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: main
    steps:
      - {stepId: viaChild, workflowId: $sourceDescriptions.a-child.pingChild}
      - {stepId: own, operationId: ping}
`,
		"child.arazzo.yaml": `arazzo: 1.0.1
info: {title: child, version: "1"}
sourceDescriptions:
  - {name: api, url: ./child-api.yaml, type: openapi}
workflows:
  - workflowId: pingChild
    steps:
      - {stepId: ping, operationId: ping}
`,
	}
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, diags := arazzo.Load(context.Background(), filepath.Join(dir, "parent.arazzo.yaml"), arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	r, err := runner.New(b, runner.Options{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), "main", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/child/ping", "/parent/ping"}; !slices.Equal(paths, want) {
		t.Errorf("requests went to %v, want %v", paths, want)
	}
}
