package expression

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the "simple" condition language of the Criterion Object:
// literals, runtime-expression operands with .member and [index]
// navigation, and the operators < <= > >= == != ! && || ( ). Precedence,
// from loosest: ||, &&, equality, relational, !, then ( ) and operands.
// Comparisons do not chain ("a < b < c" is an error: use &&).

// node is a node of a parsed condition: *litNode, *operandNode, *notNode,
// *cmpNode or *logicNode.
type node interface{ column() int }

type litNode struct {
	v    any
	text string
	col  int
}

type operandNode struct {
	expr *Expr
	nav  []navStep
	text string // as written, for explanations
	col  int
	slot int // index of its value in the evaluation's value slots
}

// navStep is a .member (index < 0) or [index] step after an operand.
type navStep struct {
	member string
	index  int
}

type notNode struct {
	x   node
	col int
}

type cmpNode struct {
	op   string
	l, r node
	col  int
}

type logicNode struct {
	and  bool
	l, r node
	col  int
}

func (n *litNode) column() int     { return n.col }
func (n *operandNode) column() int { return n.col }
func (n *notNode) column() int     { return n.col }
func (n *cmpNode) column() int     { return n.col }
func (n *logicNode) column() int   { return n.col }

// simpleCondition is a compiled simple condition.
type simpleCondition struct {
	text     string
	root     node
	operands []*operandNode
}

type condParser struct {
	text     string
	pos      int
	opts     Options
	warns    []Warning
	operands []*operandNode
}

// parseSimple parses a simple condition.
func parseSimple(text string, opts Options) (*simpleCondition, []Warning, error) {
	p := &condParser{text: text, opts: opts}
	p.skipBlanks()
	if p.pos == len(text) {
		return nil, nil, &SyntaxError{Input: text, Column: 1, Msg: "empty condition; write a comparison such as $statusCode == 200"}
	}
	root, err := p.or()
	if err != nil {
		return nil, p.warns, err
	}
	p.skipBlanks()
	if p.pos < len(text) {
		return nil, p.warns, p.trailing()
	}
	return &simpleCondition{text: text, root: root, operands: p.operands}, p.warns, nil
}

func (p *condParser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Input: p.text, Column: column(p.text, pos), Msg: fmt.Sprintf(format, args...)}
}

func (p *condParser) unexpected(hint string) error {
	if p.pos >= len(p.text) {
		return p.errorf(p.pos, "unexpected end of condition %s", hint)
	}
	end := p.pos + 1
	for end < len(p.text) && !isBlank(p.text[end]) && end-p.pos < 20 {
		end++
	}
	return p.errorf(p.pos, "unexpected %q %s", p.text[p.pos:end], hint)
}

// trailing explains text after a complete condition.
func (p *condParser) trailing() error {
	switch op := p.peekOp(); op {
	case "===", "!==", "=", "&", "|":
		return p.primaryError()
	}
	start := p.pos
	if w := p.word(); w == "and" || w == "or" || w == "not" {
		p.pos = start
		return p.errorf(start, "%q is not an operator; use &&, || or !", w)
	}
	p.pos = start
	return p.unexpected("after a complete condition; join conditions with && or ||")
}

func (p *condParser) skipBlanks() {
	for p.pos < len(p.text) && isBlank(p.text[p.pos]) {
		p.pos++
	}
}

// peekOp returns the operator at the current position, or "".
func (p *condParser) peekOp() string {
	p.skipBlanks()
	rest := p.text[p.pos:]
	for _, op := range []string{"===", "!==", "||", "&&", "==", "!=", "<=", ">=", "<", ">", "!", "=", "&", "|"} {
		if strings.HasPrefix(rest, op) {
			return op
		}
	}
	return ""
}

// or = and *( "||" and )
func (p *condParser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekOp() == "||" {
		col := p.pos
		p.pos += 2
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &logicNode{l: l, r: r, col: column(p.text, col)}
	}
	return l, nil
}

// and = equality *( "&&" equality )
func (p *condParser) and() (node, error) {
	l, err := p.equality()
	if err != nil {
		return nil, err
	}
	for p.peekOp() == "&&" {
		col := p.pos
		p.pos += 2
		r, err := p.equality()
		if err != nil {
			return nil, err
		}
		l = &logicNode{and: true, l: l, r: r, col: column(p.text, col)}
	}
	return l, nil
}

// equality = relational [ ( "==" / "!=" ) relational ]
func (p *condParser) equality() (node, error) {
	l, err := p.relational()
	if err != nil {
		return nil, err
	}
	op := p.peekOp()
	if op != "==" && op != "!=" {
		return l, nil
	}
	col := p.pos
	p.pos += 2
	r, err := p.relational()
	if err != nil {
		return nil, err
	}
	if next := p.peekOp(); next == "==" || next == "!=" {
		return nil, p.errorf(p.pos, "comparisons do not chain: combine them with && or group them with ( )")
	}
	return &cmpNode{op: op, l: l, r: r, col: column(p.text, col)}, nil
}

// relational = unary [ ( "<" / "<=" / ">" / ">=" ) unary ]
func (p *condParser) relational() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	op := p.peekOp()
	switch op {
	case "<", "<=", ">", ">=":
	default:
		return l, nil
	}
	col := p.pos
	p.pos += len(op)
	r, err := p.unary()
	if err != nil {
		return nil, err
	}
	switch p.peekOp() {
	case "<", "<=", ">", ">=":
		return nil, p.errorf(p.pos, "comparisons do not chain: write a < b && b < c")
	}
	return &cmpNode{op: op, l: l, r: r, col: column(p.text, col)}, nil
}

// unary = "!" unary / primary
func (p *condParser) unary() (node, error) {
	switch p.peekOp() {
	case "!":
		col := p.pos
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, col: column(p.text, col)}, nil
	case "":
	default:
		return nil, p.primaryError()
	}
	return p.primary()
}

func (p *condParser) primaryError() error {
	switch op := p.peekOp(); op {
	case "===", "!==":
		return p.errorf(p.pos, "%q is not an operator; use %q", op, op[:2])
	case "=":
		return p.errorf(p.pos, "'=' is not an operator; use '==' to compare")
	case "&", "|":
		return p.errorf(p.pos, "%q is not an operator; use %q", op, op+op)
	case "":
		return p.unexpected("where an operand was expected: a runtime expression ($…), true, false, null, a number or a 'string'")
	default:
		return p.errorf(p.pos, "expected an operand before %q", op)
	}
}

// primary = "(" or ")" / literal / operand
func (p *condParser) primary() (node, error) {
	p.skipBlanks()
	if p.pos >= len(p.text) {
		return nil, p.errorf(p.pos, "unexpected end of condition where an operand was expected")
	}
	start := p.pos
	switch c := p.text[p.pos]; {
	case c == '(':
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		p.skipBlanks()
		if p.pos >= len(p.text) || p.text[p.pos] != ')' {
			return nil, p.errorf(p.pos, "missing ')' to close the '(' at column %d", column(p.text, start))
		}
		p.pos++
		return x, nil
	case c == '$':
		return p.operand()
	case c == '\'':
		s, err := p.quoted('\'')
		if err != nil {
			return nil, err
		}
		return &litNode{v: s, text: p.text[start:p.pos], col: column(p.text, start)}, nil
	case c == '"':
		if p.opts.Strict {
			return nil, p.errorf(start, "strings use single quotes in conditions: write '%s'", strings.Trim(p.rest(), `"`))
		}
		s, err := p.quoted('"')
		if err != nil {
			return nil, err
		}
		p.warns = append(p.warns, Warning{Column: column(p.text, start), Code: "double-quoted-string",
			Message: fmt.Sprintf("strings use single quotes in conditions; read %s as %s", p.text[start:p.pos], singleQuote(s))})
		return &litNode{v: s, text: p.text[start:p.pos], col: column(p.text, start)}, nil
	case c == '-' || isDigit(c):
		return p.number()
	case isAlnum(c):
		w := p.word()
		switch w {
		case "true", "false":
			return &litNode{v: w == "true", text: w, col: column(p.text, start)}, nil
		case "null":
			return &litNode{v: nil, text: w, col: column(p.text, start)}, nil
		case "and", "or", "not":
			p.pos = start
			return nil, p.errorf(start, "%q is not an operator; use &&, || or !", w)
		}
		p.pos = start
		return nil, p.unexpected("where an operand was expected: a runtime expression ($…), true, false, null, a number or a 'string'")
	case c == ')':
		return nil, p.errorf(p.pos, "unexpected ')' without a matching '('")
	}
	return nil, p.unexpected("where an operand was expected: a runtime expression ($…), true, false, null, a number or a 'string'")
}

func (p *condParser) rest() string {
	end := p.pos
	for end < len(p.text) && !isBlank(p.text[end]) {
		end++
	}
	return p.text[p.pos:end]
}

func (p *condParser) word() string {
	i := p.pos
	for i < len(p.text) && (isAlnum(p.text[i]) || p.text[i] == '_') {
		i++
	}
	w := p.text[p.pos:i]
	p.pos = i
	return w
}

// quoted reads a string literal. In single quotes ” is a quote; in
// (lenient) double quotes \" and \\ are escapes.
func (p *condParser) quoted(q byte) (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		switch {
		case c == q && q == '\'' && p.pos+1 < len(p.text) && p.text[p.pos+1] == '\'':
			b.WriteByte('\'')
			p.pos += 2
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && q == '"' && p.pos+1 < len(p.text) && (p.text[p.pos+1] == '"' || p.text[p.pos+1] == '\\'):
			b.WriteByte(p.text[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf(start, "unterminated string: add the closing %c", q)
}

// number = ( int / "-0" ) [ frac ] [ exp ], as in JSON.
func (p *condParser) number() (node, error) {
	start := p.pos
	i := p.pos
	for i < len(p.text) && (isAlnum(p.text[i]) || strings.IndexByte(".+-", p.text[i]) >= 0) {
		i++
	}
	// Stop before a sign that is not an exponent's ("1-2" is not a number).
	for j := start + 1; j < i; j++ {
		if (p.text[j] == '-' || p.text[j] == '+') && p.text[j-1] != 'e' && p.text[j-1] != 'E' {
			i = j
			break
		}
	}
	text := p.text[start:i]
	if !isJSONNumber(text) {
		return nil, p.errorf(start, "invalid number %q; numbers are written as in JSON (42, -3.5, 1e3)", text)
	}
	p.pos = i
	var v any
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		v = n
	} else {
		f, _ := strconv.ParseFloat(text, 64)
		v = f
	}
	return &litNode{v: v, text: text, col: column(p.text, start)}, nil
}

// operand = runtime-expression *( "." member / "[" index "]" )
func (p *condParser) operand() (node, error) {
	start := p.pos
	e, end, warns, err := parseAt(p.text, start, modeOperand, p.opts)
	p.warns = append(p.warns, warns...)
	if err != nil {
		return nil, err
	}
	p.pos = end
	var nav []navStep
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		if c == '.' {
			i := p.pos + 1
			for i < len(p.text) && (isAlnum(p.text[i]) || p.text[i] == '_' || p.text[i] == '-') {
				i++
			}
			if i == p.pos+1 {
				return nil, p.errorf(p.pos, "expected a property name after '.'")
			}
			nav = append(nav, navStep{member: p.text[p.pos+1 : i], index: -1})
			p.pos = i
			continue
		}
		if c == '[' {
			i := p.pos + 1
			for i < len(p.text) && isDigit(p.text[i]) {
				i++
			}
			if i == p.pos+1 || i >= len(p.text) || p.text[i] != ']' || i-p.pos > 10 {
				return nil, p.errorf(p.pos, "expected an index like [0] after %s", p.text[start:p.pos])
			}
			n, _ := strconv.Atoi(p.text[p.pos+1 : i])
			nav = append(nav, navStep{index: n})
			p.pos = i + 1
			continue
		}
		break
	}
	if p.pos < len(p.text) && !isBlank(p.text[p.pos]) && strings.IndexByte("!&()<=>|", p.text[p.pos]) < 0 {
		return nil, p.errorf(p.pos, "unexpected %q after %s", p.text[p.pos], p.text[start:p.pos])
	}
	o := &operandNode{expr: e, nav: nav, text: p.text[start:p.pos], col: column(p.text, start), slot: len(p.operands)}
	p.operands = append(p.operands, o)
	return o, nil
}

// eval evaluates n. With ctx set it resolves operands into vals; with ctx
// nil it reads them back from vals (to explain a verdict without reading
// the context twice). Operands skipped by && and || stay unset (nil
// interface in vals is "not evaluated"; a null value is stored as nullVal).
func (c *simpleCondition) eval(n node, ctx Context, vals []any) any {
	switch n := n.(type) {
	case *litNode:
		return n.v
	case *operandNode:
		if ctx == nil {
			return fromSlot(vals[n.slot])
		}
		v := n.resolve(ctx)
		vals[n.slot] = toSlot(v)
		return v
	case *notNode:
		return !truthy(c.eval(n.x, ctx, vals))
	case *cmpNode:
		l, r := c.eval(n.l, ctx, vals), c.eval(n.r, ctx, vals)
		return compareOp(n.op, l, r)
	case *logicNode:
		l := truthy(c.eval(n.l, ctx, vals))
		if l != n.and {
			return l // false && …, true || …
		}
		return truthy(c.eval(n.r, ctx, vals))
	}
	return false
}

// nullVal stores a resolved null in a value slot, telling it apart from an
// operand that was not evaluated.
type nullVal struct{}

func toSlot(v any) any {
	if v == nil {
		return nullVal{}
	}
	return v
}

func fromSlot(v any) any {
	if _, ok := v.(nullVal); ok {
		return nil
	}
	return v
}

func compareOp(op string, l, r any) bool {
	switch op {
	case "==":
		return equal(l, r)
	case "!=":
		return !equal(l, r)
	}
	c, ok := order(l, r)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	default:
		return c >= 0
	}
}

// resolve evaluates the operand's expression and navigation; a value that
// does not exist is missing{}.
func (o *operandNode) resolve(ctx Context) any {
	v, ok := o.expr.Eval(ctx)
	if !ok {
		return missing{}
	}
	for _, s := range o.nav {
		if v, ok = navigate(v, s); !ok {
			return missing{}
		}
	}
	return v
}

func navigate(v any, s navStep) (any, bool) {
	if s.index < 0 {
		switch t := v.(type) {
		case map[string]any:
			x, ok := t[s.member]
			return x, ok
		case []any:
			if s.member == "length" {
				return int64(len(t)), true
			}
			return nil, false
		case string:
			if s.member == "length" {
				return int64(len([]rune(t))), true
			}
			return nil, false
		case []byte:
			if d, ok := decodeJSONText(t); ok {
				return navigate(d, s)
			}
			return nil, false
		}
		return walkReflect(v, s.member, -1)
	}
	switch t := v.(type) {
	case []any:
		if s.index < len(t) {
			return t[s.index], true
		}
		return nil, false
	case map[string]any:
		// Numeric keys: "[0]" on an object reads the member "0".
		x, ok := t[strconv.Itoa(s.index)]
		return x, ok
	case []byte, string:
		if d, ok := decodeJSONText(t); ok {
			return navigate(d, s)
		}
		return nil, false
	}
	return walkReflect(v, strconv.Itoa(s.index), s.index)
}

// explain writes why n evaluated as it did: only the comparisons that
// decided the verdict (the false side of a failed &&, the true side of a
// passed ||).
func (c *simpleCondition) explain(b *strings.Builder, n node, vals []any) {
	switch n := n.(type) {
	case *logicNode:
		l := truthy(c.eval(n.l, nil, vals))
		if l != n.and {
			c.explain(b, n.l, vals)
			return
		}
		c.explain(b, n.l, vals)
		b.WriteString("; ")
		c.explain(b, n.r, vals)
	case *notNode:
		b.WriteString("not (")
		c.explain(b, n.x, vals)
		b.WriteString(")")
	case *cmpNode:
		c.describe(b, n.l, vals)
		b.WriteString(", expected ")
		switch n.op {
		case "==":
		case "!=":
			b.WriteString("not ")
		default:
			b.WriteString(n.op + " ")
		}
		if o, ok := n.r.(*operandNode); ok {
			c.describe(b, o, vals)
		} else {
			writeValue(b, c.eval(n.r, nil, vals))
		}
	default:
		c.describe(b, n, vals)
		if truthy(c.eval(n, nil, vals)) {
			b.WriteString(" (truthy)")
		} else {
			b.WriteString(" (falsy)")
		}
	}
}

// describe writes an operand as "`text` = value" or a literal's value.
func (c *simpleCondition) describe(b *strings.Builder, n node, vals []any) {
	o, ok := n.(*operandNode)
	if !ok {
		if _, isLit := n.(*litNode); isLit {
			writeValue(b, c.eval(n, nil, vals))
			return
		}
		b.WriteByte('(')
		c.explain(b, n, vals)
		b.WriteByte(')')
		return
	}
	b.WriteByte('`')
	b.WriteString(o.text)
	b.WriteByte('`')
	v := vals[o.slot]
	if _, isMissing := v.(missing); isMissing {
		b.WriteString(" is missing")
		return
	}
	b.WriteString(" = ")
	writeValue(b, fromSlot(v))
}

// writeValue renders a value for an explanation: JSON, shortened.
func writeValue(b *strings.Builder, v any) {
	const limit = 120
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case missing:
		b.WriteString("missing")
	case string:
		// Quote first, then cut: cutting first could split an escape or
		// hide a secret's escaped form from output masking.
		var tmp [80]byte
		q := strconv.AppendQuote(tmp[:0], t)
		if len(q) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(q[cut]) {
				cut--
			}
			q = append(q[:cut:cut], "…"...)
		}
		b.Write(q)
	case []byte:
		writeValue(b, string(t))
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case float64:
		b.WriteString(formatFloat(t))
	default:
		s := Stringify(v)
		if len(s) > limit {
			s = s[:limit] + "…"
		}
		b.WriteString(s)
	}
}

// singleQuote writes s as a condition string literal.
func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
