package expression

import (
	"strings"
)

// part is one piece of an expression string: literal text or an embedded
// expression.
type part struct {
	lit  string
	expr *Expr
}

// ParseTemplate parses a string value from a document.
//
// A string that is exactly one runtime expression is a whole-value
// expression. Otherwise each "{$…}" is an embedded expression; braces that do
// not hold an expression ("{"a":1}") are literal text. In lenient mode a
// complete expression written without braces inside longer text ("Bearer
// $inputs.token") is substituted too, with a "bare-expression" warning; text
// where '$' does not start an expression ("$.data[0]", "$5") is left alone.
func ParseTemplate(text string, opts Options) (*Template, []Warning, error) {
	return parseTemplate(text, opts, true)
}

// Scan returns every runtime expression in text, as ParseTemplate finds
// them; validators use it to check references.
func Scan(text string, opts Options) ([]*Expr, []Warning, error) {
	t, warns, err := ParseTemplate(text, opts)
	if err != nil {
		return nil, warns, err
	}
	return t.exprs, warns, nil
}

// parseTemplate parses text; whole enables whole-value and bare
// expressions (values), which conditions of regex, jsonpath and xpath
// criteria do not have: there '$' belongs to the condition's language.
func parseTemplate(text string, opts Options, whole bool) (*Template, []Warning, error) {
	t := &Template{text: text}
	var warns []Warning
	var wholeErr error
	if whole && strings.HasPrefix(text, "$") {
		e, end, w, err := parseAt(text, 0, modeWhole, opts)
		if err == nil && end == len(text) {
			t.whole = e
			t.exprs = []*Expr{e}
			return t, w, nil
		}
		wholeErr = err
		if err == nil {
			wholeErr = trailingError(text, end, e)
		}
	}
	var bare []*Expr
	last := 0
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '{' && i+1 < len(text) && text[i+1] == '$':
			e, end, w, err := parseAt(text, i+1, modeEmbedded, opts)
			if err == nil && (end >= len(text) || text[end] != '}') {
				err = &SyntaxError{Input: text, Column: column(text, end), Msg: "expected '}' to close the embedded expression " + text[i:end]}
			}
			if err != nil {
				if opts.Strict {
					return nil, warns, err
				}
				warns = append(warns, Warning{Column: column(text, i), Code: "invalid-embedded",
					Message: "'{$' does not start a valid embedded expression (" + err.Error() + "); the text is kept as written"})
				continue
			}
			warns = append(warns, w...)
			t.add(text[last:i], e)
			i = end
			last = end + 1
		case text[i] == '$' && whole && bareStart(text, i):
			e, end, w, err := parseAt(text, i, modeBare, opts)
			if err != nil || (end < len(text) && (isAlnum(text[end]) || text[end] == '_' || text[end] == '-')) {
				continue // not an expression: "$5", "$.data", "$inputsX"
			}
			if opts.Strict {
				return nil, warns, &SyntaxError{Input: text, Column: column(text, i),
					Msg: e.Text + " inside a longer string is not a runtime expression; embed it as {" + e.Text + "}"}
			}
			warns = append(warns, w...)
			t.add(text[last:i], e)
			bare = append(bare, e)
			i = end - 1
			last = end
		}
	}
	if last < len(text) && len(t.parts) > 0 {
		t.parts = append(t.parts, part{lit: text[last:]})
	}
	if len(bare) > 0 {
		braced := t.braced()
		for _, e := range bare {
			warns = append(warns, Warning{Column: e.col, Code: "bare-expression",
				Message: e.Text + " is written without braces; substituted as if written " + quote(braced)})
		}
	}
	if wholeErr != nil && len(t.exprs) == 0 && looksLikeExpression(text) {
		if opts.Strict {
			return nil, warns, wholeErr
		}
		warns = append(warns, Warning{Column: 1, Code: "invalid-expression",
			Message: "the value looks like a runtime expression but is not one (" + wholeErr.Error() + "); it is used as plain text"})
	}
	return t, warns, nil
}

func (t *Template) add(lit string, e *Expr) {
	if lit != "" {
		t.parts = append(t.parts, part{lit: lit})
	}
	t.parts = append(t.parts, part{expr: e})
	t.exprs = append(t.exprs, e)
}

// braced is the template with every expression in braces: the portable form.
func (t *Template) braced() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.lit)
		} else {
			b.WriteString("{" + p.expr.Text + "}")
		}
	}
	return b.String()
}

// bareStart reports whether a '$' at text[i] may start a bare expression: it
// must not be glued to a preceding word ("price$5", "a$url").
func bareStart(text string, i int) bool {
	if i == 0 {
		return true
	}
	c := text[i-1]
	return !isIdent(c) && c != '$' && c != '\\' && c != '{' && c != '@'
}

var roots = []string{"url", "method", "statusCode", "self", "request", "response", "message",
	"inputs", "outputs", "steps", "workflows", "sourceDescriptions", "components"}

// looksLikeExpression reports whether text starts with a runtime
// expression's root ("$steps…"), so that a failure to parse it is worth
// reporting rather than silently keeping it as text.
func looksLikeExpression(text string) bool {
	for _, r := range roots {
		if rest, ok := strings.CutPrefix(text, "$"+r); ok && (rest == "" || rest[0] == '.') {
			return true
		}
	}
	return false
}

// Eval evaluates t. A whole-value expression yields the referenced value
// itself (any JSON type; nil when missing); anything else yields a string,
// with each embedded expression stringified (JSON for objects and arrays).
func (t *Template) Eval(ctx Context) (any, error) {
	if t.whole != nil {
		v, _ := t.whole.Eval(ctx)
		return v, nil
	}
	if len(t.exprs) == 0 {
		return t.text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.lit)
			continue
		}
		v, _ := p.expr.Eval(ctx)
		writeString(&b, v)
	}
	return b.String(), nil
}

// Expand is Eval with values supplied by resolve instead of a Context:
// resolve receives each expression (pointer included) and returns its value
// and whether it exists.
func (t *Template) Expand(resolve func(e *Expr) (any, bool)) any {
	if t.whole != nil {
		v, _ := resolve(t.whole)
		return v
	}
	if len(t.exprs) == 0 {
		return t.text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.lit)
			continue
		}
		v, _ := resolve(p.expr)
		writeString(&b, v)
	}
	return b.String()
}

// Missing returns the expressions of t that name nothing in ctx; a runner
// can warn about "Bearer " sent with an empty token.
func (t *Template) Missing(ctx Context) []*Expr {
	var out []*Expr
	for _, e := range t.exprs {
		if _, ok := e.Eval(ctx); !ok {
			out = append(out, e)
		}
	}
	return out
}

// Exprs returns the runtime expressions t contains, in order.
func (t *Template) Exprs() []*Expr { return t.exprs }

// IsConstant reports whether t contains no expression.
func (t *Template) IsConstant() bool { return len(t.exprs) == 0 }

// Whole returns the expression when t is exactly one runtime expression
// (whole-value), else nil.
func (t *Template) Whole() *Expr { return t.whole }

// String returns the template as written.
func (t *Template) String() string { return t.text }
