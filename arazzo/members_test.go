package arazzo

import (
	"slices"
	"strings"
	"testing"
)

func TestDocumentMemberOrder(t *testing.T) {
	doc, diags := Parse("order.yaml", []byte(`arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: s, url: ./s.yaml}]
base: &base {zeta: 1, alpha: 2}
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: op
        parameters:
          - {name: color, in: query, value: {R: 100, G: 200, B: 150}}
        requestBody:
          payload:
            <<: *base
            mid: 3
            first: 0
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st := doc.Workflows[0].Steps[0]
	color := st.Parameters[0].Value.(map[string]any)
	if got := doc.MemberOrder(color); !slices.Equal(got, []string{"R", "G", "B"}) {
		t.Errorf("parameter value order = %v", got)
	}
	// Merged members (<<) follow the mapping's own.
	payload := st.RequestBody.Payload.(map[string]any)
	if got := doc.MemberOrder(payload); !slices.Equal(got, []string{"mid", "first", "zeta", "alpha"}) {
		t.Errorf("payload order = %v", got)
	}
	if doc.MemberOrder(map[string]any{"R": 1, "G": 2}) != nil {
		t.Error("a map that is not the document's has an order")
	}
	var none *Document
	if none.MemberOrder(color) != nil {
		t.Error("a nil document answers")
	}
}

func TestDecodeValue(t *testing.T) {
	v, order, err := DecodeValue("in.json", []byte(`{"b": {"z": 1, "a": [ {"y": 1, "x": 2} ]}, "a": null}`))
	if err != nil {
		t.Fatal(err)
	}
	top := v.(map[string]any)
	b := top["b"].(map[string]any)
	item := b["a"].([]any)[0].(map[string]any)
	for _, c := range []struct {
		m    map[string]any
		want []string
	}{{top, []string{"b", "a"}}, {b, []string{"z", "a"}}, {item, []string{"y", "x"}}} {
		if got := order(c.m); !slices.Equal(got, c.want) {
			t.Errorf("order = %v, want %v", got, c.want)
		}
	}
	for data, want := range map[string]string{
		"":             "in.yaml:1:1: document is empty",
		"a: [":         "in.yaml:",
		"a: 1\na: 2\n": `duplicate key "a"`,
		"a: \xc3\x28":  "not valid UTF-8",
	} {
		_, _, err := DecodeValue("in.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeValue(%q) error = %v, want %q", data, err, want)
		}
	}
}
