package workflows_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/go-arazzo/arazzo/engine"
)

// Every committed workflow validates without errors, and every input of
// every workflow has a description.
func TestWorkflowsValidateAndDocumentInputs(t *testing.T) {
	files, err := filepath.Glob("arazzo/*.arazzo.yaml")
	if err != nil || len(files) < 6 {
		t.Fatalf("workflow files: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if d := engine.Validate(context.Background(), f); d.HasErrors() {
				t.Errorf("validation errors: %v", d.Errors())
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			wfs, _ := doc["workflows"].([]any)
			for _, w := range wfs {
				wm, _ := w.(map[string]any)
				props := map[string]any{}
				collectInputProps(doc, wm["inputs"], props, 0)
				if len(props) == 0 {
					t.Errorf("workflow %v declares no inputs", wm["workflowId"])
				}
				for name, p := range props {
					pm, _ := p.(map[string]any)
					if desc, _ := pm["description"].(string); strings.TrimSpace(desc) == "" {
						t.Errorf("workflow %v: input %s has no description", wm["workflowId"], name)
					}
				}
			}
		})
	}
}

// collectInputProps gathers the properties of an inputs schema, following
// local $refs and allOf.
func collectInputProps(doc map[string]any, schema any, into map[string]any, depth int) {
	m, _ := schema.(map[string]any)
	if m == nil || depth > 16 {
		return
	}
	if ref, ok := m["$ref"].(string); ok {
		var cur any = doc
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[tok]
		}
		collectInputProps(doc, cur, into, depth+1)
	}
	if ps, ok := m["properties"].(map[string]any); ok {
		for k, v := range ps {
			into[k] = v
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for _, s := range all {
			collectInputProps(doc, s, into, depth+1)
		}
	}
}
