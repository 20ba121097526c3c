package expression_test

import (
	"fmt"

	"github.com/go-arazzo/arazzo/expression"
)

// data is a Context over a fixed response, as tests and embedders write it.
type data struct{ body any }

func (d data) Value(ref expression.Ref) (any, bool) {
	switch ref.Kind {
	case expression.KindStatusCode:
		return int64(200), true
	case expression.KindResponseBody:
		return d.body, true
	case expression.KindInputs:
		if ref.Name == "token" {
			return "s3cret", true
		}
	}
	return nil, false
}

var ctx = data{body: map[string]any{"data": []any{map[string]any{"status": "running"}}}}

func ExampleParse() {
	e, _, err := expression.Parse("$response.body#/data/0/status", expression.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, ok := e.Eval(ctx)
	fmt.Println(e.Kind, e.Pointer, v, ok)

	_, _, err = expression.Parse("$steps.login", expression.Options{})
	fmt.Println(err)
	// Output:
	// $response.body [data 0 status] running true
	// column 13: expected '.outputs.' after $steps.login
}

func ExampleParseTemplate() {
	t, warns, _ := expression.ParseTemplate("Bearer $inputs.token", expression.Options{})
	v, _ := t.Eval(ctx)
	fmt.Println(v)
	fmt.Println(warns[0].Code+":", warns[0].Message)
	// Output:
	// Bearer s3cret
	// bare-expression: $inputs.token is written without braces; substituted as if written "Bearer {$inputs.token}"
}

func ExampleCompileCriterion() {
	c, _, _ := expression.CompileCriterion(expression.CriterionSpec{
		Condition: "$statusCode == 200 && $response.body#/data/0/status == 'Completed'",
	}, expression.Options{})
	out := c.Evaluate(ctx)
	fmt.Println(out.Passed)
	fmt.Println(out.Explanation)
	// Output:
	// false
	// `$statusCode` = 200, expected 200; `$response.body#/data/0/status` = "running", expected "Completed"
}

func ExampleCompileCriterion_jsonpath() {
	c, _, _ := expression.CompileCriterion(expression.CriterionSpec{
		Context:   "$response.body",
		Condition: "$.data[?@.status == 'running']",
		Type:      expression.TypeJSONPath,
	}, expression.Options{})
	out := c.Evaluate(ctx)
	fmt.Println(out.Passed, out.Explanation)
	// Output:
	// true $.data[?@.status == 'running'] on `$response.body` selected 1 node
}

func ExampleCompileSelector() {
	s, _, _ := expression.CompileSelector(expression.SelectorSpec{
		Context:  "$response.body",
		Selector: "$.data[0].status",
		Type:     expression.TypeJSONPath,
	}, expression.Options{})
	v, _ := s.Eval(ctx)
	fmt.Println(v)
	// Output: running
}

func ExampleStringify() {
	fmt.Println(expression.Stringify(3.0), expression.Stringify(map[string]any{"a": []any{int64(1)}}), expression.Stringify(nil) == "")
	// Output: 3 {"a":[1]} true
}
