package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliAPI = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const cliFlow = `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: get
    inputs:
      type: object
      required: [id, token]
      properties:
        id: {type: string}
        count: {type: integer}
        token: {type: string, format: password}
    steps:
      - stepId: fetch
        operationId: getItem
        parameters:
          - {name: id, in: path, value: $inputs.id}
          - {name: Authorization, in: header, value: "Bearer {$inputs.token}"}
        successCriteria:
          - condition: $response.body#/ok == true
        outputs: {echo: $response.body#/echo}
    outputs: {echo: $steps.fetch.outputs.echo, count: $inputs.count}
`

func cliFixture(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(cliAPI), 0o644)
	path := filepath.Join(dir, "flow.yaml")
	os.WriteFile(path, []byte(cliFlow), 0o644)
	return path
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidateExitCodes(t *testing.T) {
	good := cliFixture(t)
	if code, out, _ := runCLI("validate", good); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("valid document: exit %d, %s", code, out)
	}
	bad := filepath.Join(filepath.Dir(good), "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(cliFlow, "operationId: getItem", "operationId: nope", 1)), 0o644)
	code, out, _ := runCLI("validate", "--format", "json", bad)
	if code != 1 {
		t.Errorf("document with errors: exit %d, want 1", code)
	}
	var rep struct {
		Files []struct {
			Valid       bool
			Diagnostics []struct {
				Rule string
				Line int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Files) != 1 || rep.Files[0].Valid {
		t.Fatalf("json report: %v %s", err, out)
	}
	found := false
	for _, d := range rep.Files[0].Diagnostics {
		if d.Rule == "operation-exists" && d.Line > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no located operation-exists diagnostic: %s", out)
	}
	if code, _, _ := runCLI("validate", filepath.Join(t.TempDir(), "missing.yaml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("validate"); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
}

func TestRunJSONContractInputsAndMasking(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"echo":%q}`, r.URL.Path+" "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	flow := cliFixture(t)
	t.Setenv("ARAZZO_INPUT_TOKEN", "s3cret-token")
	code, out, errs := runCLI("run", flow, "--format", "json", "--server", "api="+srv.URL, "--input", "id=7", "--input", "count=3")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if gotAuth != "Bearer s3cret-token" {
		t.Errorf("token from ARAZZO_INPUT_TOKEN not sent: %q", gotAuth)
	}
	var rep struct {
		Workflows []struct {
			WorkflowID string
			Status     string
			Outputs    map[string]any
			Steps      []struct {
				StepID     string
				Attempts   int
				StatusCode int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	w := rep.Workflows[0]
	if w.Status != "succeeded" || w.Outputs["count"] != float64(3) || w.Steps[0].StatusCode != 200 {
		t.Errorf("report = %+v", w)
	}
	if strings.Contains(out, "s3cret-token") {
		t.Errorf("a format: password input leaked into the output: %s", out)
	}
	if !strings.Contains(out, "/items/7 Bearer ***") {
		t.Errorf("echoed secret not masked as ***: %s", out)
	}
}

func TestRunExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false}`)
	}))
	defer srv.Close()
	flow := cliFixture(t)
	code, out, _ := runCLI("run", flow, "--server", "api="+srv.URL, "--input", "id=1", "--input", "token=abcd1234", "--no-color")
	if code != 1 || !strings.Contains(out, "failed:") || !strings.Contains(out, "expected true") {
		t.Errorf("failing workflow: exit %d, want 1 with the criterion explained:\n%s", code, out)
	}
	if code, _, _ := runCLI("run", flow, "--server", "api="+srv.URL, "--input", "token=abcd1234"); code != 2 {
		t.Errorf("missing required input: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("run", flow, "--workflow", "nope"); code != 2 {
		t.Errorf("unknown workflow: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("run", flow, "--bogus-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
