package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// $sourceDescriptions.<source>.<workflowId>.outputs.<name> reads an output
// of a workflow of another Arazzo document that ran first (here as a
// dependsOn prerequisite): an extension published workflows rely on.
func TestExternalWorkflowOutputs(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/login" {
			w.Write([]byte(`{"token":"tok-1"}`))
			return
		}
		auth = append(auth, r.Header.Get("Authorization"))
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("api.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /login: {post: {operationId: login, responses: {"200": {description: ok}}}}
  /items: {delete: {operationId: purge, responses: {"200": {description: ok}}}}
`)
	write("auth.arazzo.yaml", `arazzo: 1.0.1
info: {title: auth, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: login
    steps:
      - stepId: login
        operationId: login
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.login.outputs.token}
`)
	main := write("main.arazzo.yaml", `arazzo: 1.0.1
info: {title: main, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
  - {name: auth, url: ./auth.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: purge
    dependsOn: [$sourceDescriptions.auth.login]
    steps:
      - stepId: purge
        operationId: $sourceDescriptions.api.purge
        parameters:
          - {name: Authorization, in: header, value: "Bearer {$sourceDescriptions.auth.login.outputs.token}"}
    outputs:
      token: $sourceDescriptions.auth.login.outputs.token
      url: $sourceDescriptions.auth.url
`)
	b, diags := arazzo.Load(context.Background(), main, arazzo.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r, err := runner.New(b, runner.Options{Servers: map[string]string{"api": srv.URL + "/v1"}, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), "purge", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) != 1 || auth[0] != "Bearer tok-1" {
		t.Errorf("Authorization sent = %q, want Bearer tok-1", auth)
	}
	if res.Outputs["token"] != "tok-1" || res.Outputs["url"] != "./auth.arazzo.yaml" {
		t.Errorf("outputs = %v", res.Outputs)
	}
}
