package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An object from --inputs reaches the API with its members in the order the
// file wrote them (OpenAPI: color=R,100,G,200,B,150), whatever the format.
func TestRunInputsFileKeepsMemberOrder(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RawQuery)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /paint:
    get:
      operationId: paint
      parameters: [{name: color, in: query, style: form, explode: false, schema: {type: object}}]
      responses: {"204": {description: ok}}
`), 0o644)
	flow := filepath.Join(dir, "flow.yaml")
	os.WriteFile(flow, []byte(`arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: paint
    inputs: {type: object, properties: {color: {type: object}}}
    steps:
      - stepId: paint
        operationId: paint
        parameters: [{name: color, in: query, value: $inputs.color}]
`), 0o644)
	for name, data := range map[string]string{
		"in.json": `{"color": {"R": 100, "G": 200, "B": 150}}`,
		"in.yaml": "color:\n  R: 100\n  G: 200\n  B: 150\n",
	} {
		got = nil
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(data), 0o644)
		if code, out, errs := runCLI("run", flow, "--server", "api="+srv.URL, "--inputs", path, "--quiet"); code != 0 {
			t.Fatalf("%s: exit %d: %s %s", name, code, out, errs)
		}
		if len(got) != 1 || got[0] != "color=R,100,G,200,B,150" {
			t.Errorf("%s: query = %v, want color=R,100,G,200,B,150", name, got)
		}
	}

	bad := filepath.Join(dir, "list.json")
	os.WriteFile(bad, []byte(`[1, 2]`), 0o644)
	code, _, errs := runCLI("run", flow, "--server", "api="+srv.URL, "--inputs", bad)
	if code != 2 || !strings.Contains(errs, "not a JSON or YAML object: the file holds an array") {
		t.Errorf("array inputs file: exit %d, %s", code, errs)
	}
}
