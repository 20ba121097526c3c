package arazzo

import (
	"fmt"
	"strings"
	"testing"
)

func TestResolveLocalRef(t *testing.T) {
	doc := map[string]any{
		"components": map[string]any{
			"inputs": map[string]any{
				"a/b":   map[string]any{"$ref": "#/components/inputs/real"},
				"real":  map[string]any{"type": "object"},
				"loop1": map[string]any{"$ref": "#/components/inputs/loop2"},
				"loop2": map[string]any{"$ref": "#/components/inputs/loop1"},
				"list":  []any{"x", map[string]any{"type": "string"}},
			},
		},
	}
	cases := []struct {
		v       any
		wantPtr string
		wantOK  bool
		typ     any
	}{
		{map[string]any{"$ref": "#/components/inputs/a~1b"}, "/components/inputs/real", true, "object"},
		{map[string]any{"$ref": "#/components/inputs/list/1"}, "/components/inputs/list/1", true, "string"},
		{map[string]any{"type": "number"}, "/here", true, "number"},
		{map[string]any{"$ref": "#/components/inputs/missing"}, "/here", false, nil},
		{map[string]any{"$ref": "#/components/inputs/list/9"}, "/here", false, nil},
		{map[string]any{"$ref": "#/components/inputs/loop1"}, "", false, nil},
		{map[string]any{"$ref": "other.yaml#/x"}, "/here", true, nil},
	}
	for _, c := range cases {
		got, ptr, ok := ResolveLocalRef(doc, c.v, "/here")
		if ok != c.wantOK || (c.wantPtr != "" && ptr != c.wantPtr) {
			t.Errorf("%v: ptr %q ok %v, want %q %v", c.v, ptr, ok, c.wantPtr, c.wantOK)
		}
		if m, _ := got.(map[string]any); c.typ != nil && m["type"] != c.typ {
			t.Errorf("%v: resolved to %v", c.v, got)
		}
	}
}

func TestInputPropertiesFollowAllOfAndRefs(t *testing.T) {
	d, diags := Parse("flow.yaml", []byte(`arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml}]
components:
  inputs:
    database:
      type: object
      required: [apiToken]
      properties:
        apiToken: {type: string, format: password}
        databaseId: {$ref: '#/components/inputs/id'}
    id: {type: string, description: the database}
workflows:
  - workflowId: w
    inputs:
      allOf:
        - $ref: '#/components/inputs/database'
        - type: object
          required: [label]
          properties:
            label: {type: string, x-sensitive: false}
            databaseId: {type: integer}
    steps: [{stepId: s, operationId: op}]
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	props := d.InputProperties(d.Workflows[0])
	var got []string
	for _, p := range props {
		got = append(got, fmt.Sprintf("%s req=%v secret=%v type=%v", p.Name, p.Required, p.Sensitive(), p.Schema["type"]))
	}
	want := []string{
		"apiToken req=true secret=true type=string",
		"databaseId req=false secret=false type=string", // first declaration wins
		"label req=true secret=false type=string",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHugeVersionIsClipped(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	_, diags := Parse("big.yaml", []byte("arazzo: \""+big+"\"\ninfo: {title: t, version: '1'}\n"))
	for _, d := range diags {
		if len(d.Message) > 300 {
			t.Fatalf("a %d-byte message for rule %s", len(d.Message), d.Rule)
		}
	}
	if !diags.HasErrors() {
		t.Fatal("no error for an unknown version")
	}
}
