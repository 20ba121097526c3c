package expression

import (
	"strings"
	"testing"
)

func evalTemplate(t *testing.T, text string, opts Options) (any, []Warning) {
	t.Helper()
	tm, warns, err := ParseTemplate(text, opts)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", text, err)
	}
	v, err := tm.Eval(sampleContext())
	if err != nil {
		t.Fatalf("Eval(%q): %v", text, err)
	}
	return v, warns
}

func TestEmbeddedExpressions(t *testing.T) {
	for text, want := range map[string]string{
		"Bearer {$inputs.token}":            "Bearer s3cret",
		"/items/{$steps.a.outputs.id}/x":    "/items/42/x",
		"{$inputs.n}":                       "3", // embedded: always a string
		"n={$inputs.n}&c={$inputs.missing}": "n=3&c=",
		"{$inputs.customer}":                `{"firstName":"Ada"}`,
		// The spec's JSON templated payload: braces of JSON are text.
		`{"petOrder": {"petId": "{$inputs.n}", "status": "placed"}}`: `{"petOrder": {"petId": "3", "status": "placed"}}`,
	} {
		if v, _ := evalTemplate(t, text, Options{}); v != want {
			t.Errorf("%q = %#v, want %q", text, v, want)
		}
	}
}

func TestWholeValueKeepsType(t *testing.T) {
	if v, _ := evalTemplate(t, "$inputs.n", Options{}); v != int64(3) {
		t.Errorf("got %#v", v)
	}
	if v, _ := evalTemplate(t, "$inputs.missing", Options{}); v != nil {
		t.Errorf("missing whole value = %#v, want nil", v)
	}
}

func TestDollarTextIsLeftAlone(t *testing.T) {
	for _, text := range []string{"$.data[0].status", "costs $5", "$[?@.a]", "price$inputs.x", "US$", "$inputsX"} {
		tm, warns, err := ParseTemplate(text, Options{})
		if err != nil || !tm.IsConstant() || len(warns) != 0 {
			t.Errorf("%q: constant=%v warns=%v err=%v", text, tm != nil && tm.IsConstant(), warns, err)
		}
	}
}

func TestBareExpression(t *testing.T) {
	v, warns := evalTemplate(t, "Bearer $inputs.token", Options{})
	if v != "Bearer s3cret" {
		t.Errorf("got %#v", v)
	}
	if len(warns) != 1 || warns[0].Code != "bare-expression" || !strings.Contains(warns[0].Message, `"Bearer {$inputs.token}"`) {
		t.Errorf("warnings = %+v", warns)
	}
	if v, _ := evalTemplate(t, "Hello $inputs.token.", Options{}); v != "Hello s3cret." {
		t.Errorf("trailing dot: %#v", v)
	}
	if _, _, err := ParseTemplate("Bearer $inputs.token", Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "{$inputs.token}") {
		t.Errorf("strict: %v", err)
	}
}

func TestInvalidEmbeddedExpression(t *testing.T) {
	tm, warns, err := ParseTemplate("a{$unknown.x}b", Options{})
	if err != nil || !tm.IsConstant() || len(warns) != 1 || warns[0].Code != "invalid-embedded" || warns[0].Column != 2 {
		t.Errorf("lenient: %v %+v", err, warns)
	}
	if _, _, err := ParseTemplate("a{$unknown.x}b", Options{Strict: true}); err == nil {
		t.Error("strict accepted an invalid embedded expression")
	}
	_, warns, _ = ParseTemplate("$steps.a", Options{})
	if len(warns) != 1 || warns[0].Code != "invalid-expression" {
		t.Errorf("malformed whole value: %+v", warns)
	}
}

func TestCompileValue(t *testing.T) {
	doc := map[string]any{
		"id":    "$steps.a.outputs.id",
		"auth":  "Bearer {$inputs.token}",
		"fixed": map[string]any{"k": []any{int64(1), "x"}},
		"list":  []any{"$inputs.n", true},
		"first": map[string]any{"context": "$response.body", "selector": "$.data[0].id", "type": "jsonpath"},
		"ptr":   &SelectorSpec{Context: "$response.body", Selector: "/data/0/status", Type: "jsonpointer"},
	}
	v, _, err := CompileValue(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Eval(sampleContext())
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	want := map[string]any{"id": "42", "auth": "Bearer s3cret", "first": int64(7), "ptr": "running"}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %#v, want %#v", k, m[k], w)
		}
	}
	if l := m["list"].([]any); l[0] != int64(3) || l[1] != true {
		t.Errorf("list = %#v", l)
	}
	if len(v.Exprs()) != 5 {
		t.Errorf("Exprs = %d, want 5", len(v.Exprs()))
	}
	// Constant sub-trees are shared, not copied.
	if f := m["fixed"].(map[string]any); &f["k"].([]any)[0] != &doc["fixed"].(map[string]any)["k"].([]any)[0] {
		t.Error("constant sub-tree was copied")
	}
}
