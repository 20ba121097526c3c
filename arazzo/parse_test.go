package arazzo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
)

const doc11 = `arazzo: 1.1.0
$self: https://example.com/flows/main.arazzo.yaml
info: {title: t, version: "1", x-owner: team}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: op
        x-operation: {method: POST, url: "https://example.com/{$inputs.id}"}
        parameters:
          - name: id
            in: query
            value: {context: $inputs.user, selector: $.id, type: jsonpath}
        requestBody:
          payload:
            nested: {context: $inputs.doc, selector: /a/b, type: {type: xpath, version: xpath-30}}
            plain: {context: not-a-selector}
        successCriteria:
          - context: $response.body
            condition: $[?@.ok == true]
            type: {type: jsonpath, version: rfc9535}
          - condition: $statusCode == 200
        outputs:
          first: {context: $response.body, selector: /0, type: jsonpointer}
          code: $statusCode
        timeout: 1500
`

func TestParseModel11(t *testing.T) {
	doc, diags := arazzo.Parse("main.arazzo.yaml", []byte(doc11))
	if doc == nil || diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	if doc.Self != "https://example.com/flows/main.arazzo.yaml" || doc.Info.Extensions["x-owner"] != "team" {
		t.Errorf("root fields: self=%q ext=%v", doc.Self, doc.Info.Extensions)
	}
	s := doc.Workflows[0].Steps[0]
	if s.XOperation == nil || s.XOperation.Method != "POST" || s.Extensions["x-operation"] == nil {
		t.Errorf("x-operation = %+v", s.XOperation)
	}
	if sel, ok := s.Parameters[0].Value.(*arazzo.Selector); !ok || sel.Selector != "$.id" || sel.Type.Type != "jsonpath" || sel.Type.Object {
		t.Errorf("parameter value = %#v, want *Selector", s.Parameters[0].Value)
	}
	payload := s.RequestBody.Payload.(map[string]any)
	if sel, ok := payload["nested"].(*arazzo.Selector); !ok || sel.Type.Version != "xpath-30" || !sel.Type.Object {
		t.Errorf("nested payload selector = %#v", payload["nested"])
	}
	if _, ok := payload["plain"].(map[string]any); !ok {
		t.Errorf("a map that is not exactly a selector stays a map: %#v", payload["plain"])
	}
	if c := s.SuccessCriteria[0]; c.Type.Type != "jsonpath" || c.Type.Version != "rfc9535" || !c.Type.Object || c.Pos.Line != 21 {
		t.Errorf("criterion = %+v", c)
	}
	if s.Outputs[0].Name != "first" || s.Outputs[1].Name != "code" || s.Outputs[1].Pos.Line != 27 {
		t.Errorf("outputs not in document order with positions: %+v %+v", s.Outputs[0], s.Outputs[1])
	}
	if _, ok := s.Outputs[0].Value.(*arazzo.Selector); !ok {
		t.Errorf("output selector = %#v", s.Outputs[0].Value)
	}
	if s.Timeout != 1500 {
		t.Errorf("timeout = %d", s.Timeout)
	}
	// Raw stays plain JSON for schema validation, selectors included.
	raw := doc.Raw.(map[string]any)["workflows"].([]any)[0].(map[string]any)["steps"].([]any)[0].(map[string]any)
	if _, ok := raw["parameters"].([]any)[0].(map[string]any)["value"].(map[string]any); !ok {
		t.Error("Raw holds a non-JSON value")
	}
	for _, d := range arazzo.ValidateDocument(doc, arazzo.ValidateOptions{}) {
		if d.Severity == arazzo.SeverityError && d.Rule != "step-target-exactly-one" {
			t.Errorf("unexpected: %v", d)
		}
	}
}

// In a 1.0 document the selector shape is a plain object value.
func TestParseSelectorOnlyIn11(t *testing.T) {
	doc, _ := arazzo.Parse("a.yaml", []byte("arazzo: 1.0.1\nworkflows: [{steps: [{parameters: [{name: a, value: {context: $x, selector: y, type: jsonpath}}]}]}]\n"))
	if _, ok := doc.Workflows[0].Steps[0].Parameters[0].Value.(map[string]any); !ok {
		t.Errorf("value = %#v", doc.Workflows[0].Steps[0].Parameters[0].Value)
	}
}

func TestLocate(t *testing.T) {
	doc, _ := arazzo.Parse("main.arazzo.yaml", []byte(doc11))
	for ptr, want := range map[string]arazzo.Pos{
		"":                                      {Line: 1, Column: 1},
		"/workflows/0/steps/0/operationId":      {Line: 10, Column: 9},
		"/workflows/0/steps/0/parameters/0":     {Line: 13, Column: 13},
		"/workflows/0/steps/0/outputs/code":     {Line: 27, Column: 11},
		"/workflows/0/steps/0/outputs/nope/x/y": {Line: 25, Column: 9}, // nearest indexed ancestor
		"/$self":                                {Line: 2, Column: 1},
	} {
		if got := doc.Locate(ptr); got != want {
			t.Errorf("Locate(%q) = %v, want %v", ptr, got, want)
		}
	}
}

// TestSelfBase: in 1.1, relative source urls resolve against $self.
func TestSelfBase(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "specs"), 0o755); err != nil {
		t.Fatal(err)
	}
	api, _ := os.ReadFile(filepath.Join("testdata", "ok", "petstore.openapi.yaml"))
	if err := os.WriteFile(filepath.Join(dir, "specs", "api.yaml"), api, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "arazzo: 1.1.0\n$self: specs/flow.arazzo.yaml\ninfo: {title: t, version: \"1\"}\nsourceDescriptions: [{name: api, url: api.yaml}]\nworkflows: [{workflowId: w, steps: [{stepId: s, operationId: listPets}]}]\n"
	b, diags := arazzo.LoadData(context.Background(), filepath.Join(dir, "flow.arazzo.yaml"), []byte(doc), arazzo.LoadOptions{Fetcher: offline()})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got := b.Source("api").Location; got != filepath.Join(dir, "specs", "api.yaml") {
		t.Errorf("location = %s", got)
	}
}

func TestVersions(t *testing.T) {
	for v, ok := range map[string]bool{"1.0.0": true, "1.0.1": true, "1.0.7": true, "1.1.0": true, "1.1.0-rc1": true, "1.2.0": false, "2.0.0": false, "1.0": false} {
		_, diags := arazzo.Parse("v.yaml", []byte("arazzo: \""+v+"\"\n"))
		got := true
		for _, d := range diags {
			if d.Rule == "version-unsupported" {
				got = false
			}
		}
		if got != ok {
			t.Errorf("version %s accepted = %v, want %v", v, got, ok)
		}
	}
}
