package arazzo

import "testing"

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
