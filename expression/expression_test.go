package expression

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testContext is a Context over plain data, keyed like the runner: headers
// case-insensitively.
type testContext struct {
	status  any
	headers map[string]any
	body    any
	inputs  map[string]any
	steps   map[string]map[string]any
}

func (c *testContext) Value(ref Ref) (any, bool) {
	switch ref.Kind {
	case KindStatusCode:
		return c.status, c.status != nil
	case KindResponseHeader:
		for k, v := range c.headers {
			if strings.EqualFold(k, ref.Name) {
				return v, true
			}
		}
	case KindResponseBody:
		return c.body, c.body != nil
	case KindInputs:
		v, ok := c.inputs[ref.Name]
		return v, ok
	case KindStepOutputs:
		v, ok := c.steps[ref.ID][ref.Name]
		return v, ok
	}
	return nil, false
}

func sampleContext() *testContext {
	return &testContext{
		status:  int64(200),
		headers: map[string]any{"Content-Type": "application/json"},
		body: map[string]any{
			"data": []any{map[string]any{"status": "running", "id": int64(7)}},
			"a/b":  "slash", "m~n": "tilde", "x-y": "hyphen",
			"count": int64(2),
		},
		inputs: map[string]any{"token": "s3cret", "customer": map[string]any{"firstName": "Ada"}, "n": int64(3)},
		steps:  map[string]map[string]any{"a": {"id": "42", "x": map[string]any{"y": "deep"}}},
	}
}

func mustParse(t *testing.T, text string, opts Options) *Expr {
	t.Helper()
	e, _, err := Parse(text, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return e
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		text string
		ref  Ref
		ptr  []string
	}{
		{"$url", Ref{Kind: KindURL}, nil},
		{"$method", Ref{Kind: KindMethod}, nil},
		{"$statusCode", Ref{Kind: KindStatusCode}, nil},
		{"$self", Ref{Kind: KindSelf}, nil},
		{"$request.header.X-Trace", Ref{Kind: KindRequestHeader, Name: "X-Trace"}, nil},
		{"$request.query.page", Ref{Kind: KindRequestQuery, Name: "page"}, nil},
		{"$request.path.id", Ref{Kind: KindRequestPath, Name: "id"}, nil},
		{"$request.body#/user/uuid", Ref{Kind: KindRequestBody}, []string{"user", "uuid"}},
		{"$response.header.Location", Ref{Kind: KindResponseHeader, Name: "Location"}, nil},
		{"$response.body", Ref{Kind: KindResponseBody}, nil},
		{"$message.header.id", Ref{Kind: KindMessageHeader, Name: "id"}, nil},
		{"$message.payload#/a", Ref{Kind: KindMessagePayload}, []string{"a"}},
		{"$message.body", Ref{Kind: KindMessagePayload}, nil},
		{"$inputs.token", Ref{Kind: KindInputs, Name: "token"}, nil},
		{"$outputs.result#/0", Ref{Kind: KindOutputs, Name: "result"}, []string{"0"}},
		{"$steps.get-pet.outputs.pets#/0/id", Ref{Kind: KindStepOutputs, ID: "get-pet", Name: "pets"}, []string{"0", "id"}},
		{"$workflows.auth.inputs.user", Ref{Kind: KindWorkflowInputs, ID: "auth", Name: "user"}, nil},
		{"$workflows.auth.outputs.token", Ref{Kind: KindWorkflowOutputs, ID: "auth", Name: "token"}, nil},
		{"$sourceDescriptions.petstore.getPetById", Ref{Kind: KindSourceDescription, ID: "petstore", Name: "getPetById"}, nil},
		{"$sourceDescriptions.petstore.url", Ref{Kind: KindSourceDescription, ID: "petstore", Name: "url"}, nil},
		{"$components.parameters.page", Ref{Kind: KindComponent, ID: "parameters", Name: "page"}, nil},
		{"$components.inputs.pet", Ref{Kind: KindComponent, ID: "inputs", Name: "pet"}, nil},
		{"$components.successActions.done", Ref{Kind: KindComponent, ID: "successActions", Name: "done"}, nil},
	}
	for _, tt := range tests {
		e := mustParse(t, tt.text, Options{Strict: true})
		if e.Ref != tt.ref || !reflect.DeepEqual(e.Pointer, tt.ptr) || e.Text != tt.text {
			t.Errorf("Parse(%q) = %+v %q, want %+v %q", tt.text, e.Ref, e.Pointer, tt.ref, tt.ptr)
		}
	}
}

func TestJSONPointerRFC6901(t *testing.T) {
	ctx := sampleContext()
	for text, want := range map[string]any{
		"$response.body#/a~1b":         "slash",
		"$response.body#/m~0n":         "tilde",
		"$response.body#/x-y":          "hyphen",
		"$response.body#/data/0/id":    int64(7),
		"$response.body#/data/1":       nil,
		"$response.body#/data/01":      nil, // leading zero is not an index
		"$response.body#/data/-":       nil, // "-" is past the end
		"$inputs.customer#/firstName":  "Ada",
		"$steps.a.outputs.x#/y":        "deep",
		"$response.body#/count/nested": nil,
	} {
		v, ok := mustParse(t, text, Options{}).Eval(ctx)
		if want == nil {
			if ok {
				t.Errorf("%s = %v, want missing", text, v)
			}
			continue
		}
		if !ok || v != want {
			t.Errorf("%s = %v, %v; want %v", text, v, ok, want)
		}
	}
	if _, _, err := Parse("$response.body#/a~2", Options{}); err == nil || !strings.Contains(err.Error(), "~0") {
		t.Errorf("invalid ~ escape: err = %v", err)
	}
}

func TestHeaderNamesCaseInsensitive(t *testing.T) {
	v, ok := mustParse(t, "$response.header.content-type", Options{}).Eval(sampleContext())
	if !ok || v != "application/json" {
		t.Errorf("got %v %v", v, ok)
	}
}

func TestSyntaxErrorsArePositioned(t *testing.T) {
	tests := []struct{ text, want string }{
		{"$steps.a", "column 9: expected '.outputs.' after $steps.a"},
		{"$steps.a.outputs", "column 17: expected '.' and an output name after $steps.a.outputs"},
		{"$inputs.", "column 9: expected a name after $inputs."},
		{"$foo.bar", "column 2: unknown runtime expression $foo"},
		{"$response.body#a", "column 16: a JSON Pointer starts with '/'"},
		{"$workflows.w.params.x", "column 14: expected inputs or outputs"},
		{"$components.schemas.x", "column 13: unknown component type \"schemas\""},
		{"inputs.x", "column 1: a runtime expression starts with '$'"},
	}
	for _, tt := range tests {
		_, _, err := Parse(tt.text, Options{Strict: true})
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want prefix %q", tt.text, err, tt.want)
		}
	}
}

func TestLenientDotPath(t *testing.T) {
	e, warns, err := Parse("$response.body.data.0.id", Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "dot-path" || !strings.Contains(warns[0].Message, "$response.body#/data/0/id") {
		t.Fatalf("lenient: %v %+v", err, warns)
	}
	if v, ok := e.Eval(sampleContext()); !ok || v != int64(7) {
		t.Errorf("Eval = %v %v", v, ok)
	}
	e, _, _ = Parse("$response.body.data[0].status", Options{})
	if !reflect.DeepEqual(e.Pointer, []string{"data", "0", "status"}) {
		t.Errorf("bracket path pointer = %q", e.Pointer)
	}
	if _, _, err := Parse("$response.body.data.0.id", Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "$response.body#/data/0/id") {
		t.Errorf("strict: err = %v", err)
	}
}

func TestDottedNameReadings(t *testing.T) {
	ctx := sampleContext()
	e, warns, err := Parse("$steps.a.outputs.x.y", Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "dotted-name" {
		t.Fatalf("%v %+v", err, warns)
	}
	if e.Name != "x.y" || len(e.Alternatives()) != 1 || e.Alternatives()[0].String() != "$steps.a.outputs.x#/y" {
		t.Errorf("readings: %q %v", e.Name, e.Alternatives())
	}
	if v, ok := e.Eval(ctx); !ok || v != "deep" {
		t.Errorf("Eval = %v %v", v, ok)
	}
	// The grammar's reading wins when the dotted name exists.
	ctx.steps["a"]["x.y"] = "literal"
	if v, _ := e.Eval(ctx); v != "literal" {
		t.Errorf("Eval = %v, want the output named x.y", v)
	}
	// Strict mode keeps the grammar's reading only.
	if e := mustParse(t, "$inputs.customer.firstName", Options{Strict: true}); len(e.Alternatives()) != 0 {
		t.Errorf("strict alternatives: %v", e.Alternatives())
	}
}

func TestStepsWithoutOutputs(t *testing.T) {
	e, warns, err := Parse("$steps.a.id", Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "steps-without-outputs" {
		t.Fatalf("%v %+v", err, warns)
	}
	if e.Ref != (Ref{Kind: KindStepOutputs, ID: "a", Name: "id"}) {
		t.Errorf("ref = %+v", e.Ref)
	}
	if _, _, err := Parse("$steps.a.id", Options{Strict: true}); err == nil {
		t.Error("strict accepted $steps.a.id")
	}
}

func TestVersionGrammar(t *testing.T) {
	for _, text := range []string{"$self", "$message.payload", "$response.payload#/a"} {
		_, warns, err := Parse(text, Options{Version: "1.0.1"})
		if err != nil || len(warns) != 1 || warns[0].Code != "version" {
			t.Errorf("1.0.1 lenient %s: %v %+v", text, err, warns)
		}
		if _, _, err := Parse(text, Options{Version: "1.0.1", Strict: true}); err == nil {
			t.Errorf("1.0.1 strict accepted %s", text)
		}
		if _, warns, err := Parse(text, Options{Version: "1.1.0"}); err != nil || len(warns) != 0 {
			t.Errorf("1.1.0 %s: %v %+v", text, err, warns)
		}
	}
	// 1.0.1's name = *CHAR; 1.1's identifier does not allow blanks.
	if e, _, err := Parse("$inputs.first name", Options{Version: "1.0.1"}); err != nil || e.Name != "first name" {
		t.Errorf("1.0.1 name with blank: %v %v", e, err)
	}
	if _, _, err := Parse("$inputs.first name", Options{}); err == nil {
		t.Error("1.1 accepted a name with a blank")
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	ctx := sampleContext()
	e := mustParse(t, "$response.body#/data/0/status", Options{})
	if n := testing.AllocsPerRun(100, func() { e.Eval(ctx) }); n != 0 {
		t.Errorf("Eval allocates %v times", n)
	}
}

func TestStringify(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"a<b", "a<b"}, {[]byte("raw"), "raw"}, {true, "true"},
		{int64(42), "42"}, {3.0, "3"}, {2.5, "2.5"}, {1e21, "1e+21"}, {int32(7), "7"},
		{map[string]any{"b": int64(1), "a": "<x>"}, `{"a":"<x>","b":1}`},
		{[]any{int64(1), "x"}, `[1,"x"]`},
	} {
		if got := Stringify(tt.v); got != tt.want {
			t.Errorf("Stringify(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
