package expression

import (
	"fmt"
	"regexp"
	"strings"
)

// criterionEval is the type-specific part of a compiled criterion.
type criterionEval interface {
	evaluate(c *Criterion, ctx Context) Outcome
}

// CompileCriterion parses spec once, for many evaluations.
//
// When the criterion cannot be compiled (a syntax error, an unknown type),
// the error is returned together with a Criterion whose Evaluate always
// fails with that error, so that a runner can carry on as the 1.1 rule on
// evaluation errors requires while a validator reports the error.
func CompileCriterion(spec CriterionSpec, opts Options) (*Criterion, []Warning, error) {
	c := &Criterion{spec: spec}
	typ := spec.Type
	if typ == "" {
		typ = TypeSimple
	}
	c.label = spec.Condition
	if typ != TypeSimple {
		c.label = typ + ": " + spec.Condition
	}
	warns, err := c.compile(typ, opts)
	if err != nil {
		c.err = err
		c.eval = nil
		return c, warns, err
	}
	return c, warns, nil
}

func (c *Criterion) compile(typ string, opts Options) ([]Warning, error) {
	var warns []Warning
	spec := c.spec
	if spec.Context != "" {
		e, w, err := Parse(spec.Context, opts)
		warns = append(warns, prefix("context", w)...)
		if err != nil {
			return warns, fmt.Errorf("context %q: %w", spec.Context, err)
		}
		c.context = e
		c.exprs = append(c.exprs, e)
	} else if typ != TypeSimple {
		if opts.Strict {
			return warns, fmt.Errorf("a %s criterion needs a context, such as $response.body", typ)
		}
		c.context = &Expr{Ref: Ref{Kind: KindResponseBody}, Text: "$response.body", col: 1}
		warns = append(warns, Warning{Column: 1, Code: "missing-context",
			Message: "a " + typ + " criterion needs a context; using $response.body"})
	}
	switch typ {
	case TypeSimple:
		if spec.Version != "" {
			return warns, fmt.Errorf("a simple criterion has no version (got %q)", spec.Version)
		}
		s, w, err := parseSimple(spec.Condition, opts)
		warns = append(warns, w...)
		if err != nil {
			return warns, fmt.Errorf("condition %q: %w", spec.Condition, err)
		}
		for _, o := range s.operands {
			c.exprs = append(c.exprs, o.expr)
		}
		c.eval = s
		return warns, nil
	case TypeRegex, TypeJSONPath, TypeXPath:
	case TypeJSONPointer:
		return warns, fmt.Errorf("jsonpointer is a selector type, not a criterion type; use simple, regex, jsonpath or xpath")
	default:
		return warns, fmt.Errorf("unknown criterion type %q; use simple, regex, jsonpath or xpath", spec.Type)
	}
	// 1.1: runtime expressions in {…} are substituted before the condition
	// is read in its own language.
	t, w, err := parseTemplate(spec.Condition, opts, false)
	warns = append(warns, w...)
	if err != nil {
		return warns, fmt.Errorf("condition %q: %w", spec.Condition, err)
	}
	c.exprs = append(c.exprs, t.exprs...)
	d := &dynamicCondition{typ: typ, t: t, opts: opts}
	switch typ {
	case TypeRegex:
		if spec.Version != "" {
			return warns, fmt.Errorf("a regex criterion has no version (got %q)", spec.Version)
		}
		if t.IsConstant() {
			if d.re, err = compileRegex(spec.Condition); err != nil {
				return warns, fmt.Errorf("condition: %w", err)
			}
		}
	case TypeJSONPath:
		if spec.Version != "" && spec.Version != JSONPathRFC9535 && spec.Version != JSONPathGoessner {
			return warns, fmt.Errorf("unknown jsonpath version %q; use %s or %s", spec.Version, JSONPathRFC9535, JSONPathGoessner)
		}
		if t.IsConstant() {
			q, w, err := parseJSONPath(spec.Condition, spec.Version, opts, true)
			warns = append(warns, w...)
			if err != nil {
				return warns, fmt.Errorf("condition: %w", err)
			}
			d.path = q
		}
	case TypeXPath:
		if !xpathVersions[spec.Version] {
			return warns, fmt.Errorf("unknown xpath version %q; use xpath-10, xpath-20, xpath-30 or xpath-31", spec.Version)
		}
		if t.IsConstant() {
			if _, err := compileXPath(spec.Condition); err != nil {
				return warns, fmt.Errorf("condition: %w", err)
			}
		}
	}
	c.eval = d
	return warns, nil
}

func prefix(what string, warns []Warning) []Warning {
	for i := range warns {
		warns[i].Message = what + ": " + warns[i].Message
	}
	return warns
}

// Evaluate evaluates c against ctx. It never panics.
func (c *Criterion) Evaluate(ctx Context) (out Outcome) {
	out.Condition = c.label
	if c.err != nil || c.eval == nil {
		out.Err = c.err
		if out.Err == nil {
			out.Err = fmt.Errorf("criterion was not compiled")
		}
		out.Explanation = "not evaluated: " + out.Err.Error()
		return out
	}
	defer func() {
		if r := recover(); r != nil {
			out.Passed = false
			out.Err = fmt.Errorf("evaluating %s: internal error: %v", c.label, r)
			out.Explanation = out.Err.Error()
		}
	}()
	if ctx == nil {
		ctx = emptyContext{}
	}
	out = c.eval.evaluate(c, ctx)
	out.Condition = c.label
	return out
}

// Passes reports whether c passes against ctx, like Evaluate(ctx).Passed,
// without building the explanation: for callers that only branch on the
// verdict (action criteria), a simple condition then evaluates without
// allocating. An evaluation error fails the criterion. It never panics.
func (c *Criterion) Passes(ctx Context) (passed bool) {
	s, ok := c.eval.(*simpleCondition)
	if !ok || c.err != nil {
		return c.Evaluate(ctx).Passed
	}
	defer func() {
		if r := recover(); r != nil {
			passed = false
		}
	}()
	if ctx == nil {
		ctx = emptyContext{}
	}
	var buf [maxSlots]any
	vals := buf[:0]
	if len(s.operands) <= maxSlots {
		vals = buf[:len(s.operands)]
	} else {
		vals = make([]any, len(s.operands))
	}
	return truthy(s.eval(s.root, ctx, vals))
}

// Exprs returns the runtime expressions c reads (its context and the ones in
// its condition).
func (c *Criterion) Exprs() []*Expr { return c.exprs }

// Context returns the parsed context expression, or nil.
func (c *Criterion) Context() *Expr { return c.context }

type emptyContext struct{}

func (emptyContext) Value(Ref) (any, bool) { return nil, false }

// maxSlots is how many operand values an evaluation keeps on the stack.
const maxSlots = 8

func (s *simpleCondition) evaluate(c *Criterion, ctx Context) (out Outcome) {
	var buf [maxSlots]any
	vals := buf[:0]
	if len(s.operands) <= maxSlots {
		vals = buf[:len(s.operands)]
	} else {
		vals = make([]any, len(s.operands))
	}
	out.Passed = truthy(s.eval(s.root, ctx, vals))
	var b strings.Builder
	b.Grow(2*len(s.text) + 48) // one allocation for the usual explanation
	s.explain(&b, s.root, vals)
	out.Explanation = b.String()
	return out
}

// dynamicCondition is a regex, jsonpath or xpath condition, compiled when
// it has no embedded expressions and per evaluation otherwise.
type dynamicCondition struct {
	typ  string
	t    *Template
	opts Options
	re   *regexp.Regexp
	path *jsonPathQuery
}

func (d *dynamicCondition) evaluate(c *Criterion, ctx Context) Outcome {
	var out Outcome
	d.evaluateInto(c, ctx, &out)
	return out
}

func (d *dynamicCondition) evaluateInto(c *Criterion, ctx Context, out *Outcome) {
	fail := func(err error) {
		out.Passed = false
		out.Err = err
		out.Explanation = err.Error()
	}
	v, ok := c.context.Eval(ctx)
	ctxText := "`" + c.context.Text + "`"
	if !ok || v == nil {
		state := "is missing"
		if ok {
			state = "is null"
		}
		out.Explanation = "context " + ctxText + " " + state
		return
	}
	cond := d.t.text
	if !d.t.IsConstant() {
		s, _ := d.t.Eval(ctx)
		cond = s.(string)
	}
	switch d.typ {
	case TypeRegex:
		re := d.re
		if re == nil {
			var err error
			if re, err = compileRegex(cond); err != nil {
				fail(fmt.Errorf("condition %q: %w", cond, err))
				return
			}
		}
		s := Stringify(v)
		out.Passed = re.MatchString(s)
		var b strings.Builder
		b.WriteString(ctxText + " = ")
		writeValue(&b, v)
		if out.Passed {
			b.WriteString(" matches /" + cond + "/")
		} else {
			b.WriteString(" does not match /" + cond + "/")
		}
		out.Explanation = b.String()
	case TypeJSONPath:
		q := d.path
		if q == nil {
			var err error
			if q, _, err = parseJSONPath(cond, c.spec.Version, d.opts, true); err != nil {
				fail(fmt.Errorf("condition %q: %w", cond, err))
				return
			}
		}
		data, ok := decodeJSONAny(v)
		if !ok {
			fail(fmt.Errorf("context %s is not JSON, so a JSONPath cannot be applied", ctxText))
			return
		}
		nodes, err := q.get(data)
		if err != nil {
			fail(err)
			return
		}
		if q.cmpOp != "" {
			d.comparison(q, nodes, ctxText, out)
			return
		}
		out.Passed = len(nodes) > 0
		out.Explanation = fmt.Sprintf("%s on %s selected %s", cond, ctxText, countNodes(len(nodes)))
	case TypeXPath:
		doc, err := xmlDocument(v)
		if err != nil {
			fail(fmt.Errorf("context %s: %w", ctxText, err))
			return
		}
		r, err := evalXPath(cond, doc)
		if err != nil {
			fail(fmt.Errorf("condition %q: %w", cond, err))
			return
		}
		out.Passed = r.ebv()
		out.Explanation = cond + " on " + ctxText + " " + r.describe()
	}
}

// comparison evaluates the lenient "path OP literal" JSONPath form with
// the simple-condition rules.
func (d *dynamicCondition) comparison(q *jsonPathQuery, nodes []any, ctxText string, out *Outcome) {
	if len(nodes) > 1 {
		out.Err = fmt.Errorf("%s selects %d nodes on %s; a comparison needs exactly one", q.path.String(), len(nodes), ctxText)
		out.Explanation = out.Err.Error()
		return
	}
	var v any = missing{}
	if len(nodes) == 1 {
		v = nodes[0]
	}
	out.Passed = compareOp(q.cmpOp, v, q.cmpLit)
	var b strings.Builder
	b.WriteString("`" + q.path.String() + "` on " + ctxText)
	if _, isMissing := v.(missing); isMissing {
		b.WriteString(" is missing")
	} else {
		b.WriteString(" = ")
		writeValue(&b, v)
	}
	b.WriteString(", expected ")
	switch q.cmpOp {
	case "==":
	case "!=":
		b.WriteString("not ")
	default:
		b.WriteString(q.cmpOp + " ")
	}
	writeValue(&b, q.cmpLit)
	out.Explanation = b.String()
}

func countNodes(n int) string {
	switch n {
	case 0:
		return "no nodes"
	case 1:
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}
