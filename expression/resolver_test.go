package expression

import (
	"reflect"
	"testing"
)

// resolverContext answers pointers into the response body itself for the
// pointers it knows and declines the others, counting what it was asked.
type resolverContext struct {
	testContext
	known    map[string]any // formatted pointer → value (nil: handled, not found)
	asked    []string
	valueHit int
}

func (c *resolverContext) ResolvePointer(ref Ref, toks []string) (any, bool, bool) {
	p := formatPointer(toks)
	c.asked = append(c.asked, p)
	if ref.Kind != KindResponseBody {
		return nil, false, false
	}
	v, ok := c.known[p]
	if !ok {
		return nil, false, false
	}
	return v, v != nil, true
}

func (c *resolverContext) Value(ref Ref) (any, bool) {
	c.valueHit++
	return c.testContext.Value(ref)
}

func TestPointerResolver(t *testing.T) {
	body := map[string]any{"data": []any{map[string]any{"status": "running"}}, "a": map[string]any{"b": "decoded"}}
	ctx := &resolverContext{
		testContext: testContext{body: body, inputs: map[string]any{"x": map[string]any{"y": 1}}},
		known:       map[string]any{"/data/0/status": "from-raw", "/missing": nil},
	}
	for _, tc := range []struct {
		expr   string
		want   any
		found  bool
		values int // calls of Value
	}{
		{"$response.body#/data/0/status", "from-raw", true, 0}, // handled: Value is not called
		{"$response.body#/missing", nil, false, 0},             // handled, nothing there
		{"$response.body#/a/b", "decoded", true, 1},            // declined: Value + walk
		{"$response.body", body, true, 1},                      // no pointer: never asked
		{"$inputs.x#/y", 1, true, 1},                           // declined for other kinds
	} {
		ctx.asked, ctx.valueHit = nil, 0
		e, _, err := Parse(tc.expr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, ok := e.Eval(ctx)
		if ok != tc.found || !reflect.DeepEqual(v, tc.want) || ctx.valueHit != tc.values {
			t.Errorf("%s = %#v, %v with %d Value calls; want %#v, %v with %d", tc.expr, v, ok, ctx.valueHit, tc.want, tc.found, tc.values)
		}
		if (len(ctx.asked) > 0) != (len(e.Pointer) > 0) {
			t.Errorf("%s: resolver asked %v", tc.expr, ctx.asked)
		}
	}
	// Criteria go through the resolver too.
	c, _, err := CompileCriterion(CriterionSpec{Condition: "$response.body#/data/0/status == 'from-raw'"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out := c.Evaluate(ctx); !out.Passed {
		t.Errorf("criterion on a resolved pointer: %+v", out)
	}
}
