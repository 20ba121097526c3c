package expression

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// JSONPath has two engines. RFC 9535 queries (the default) are parsed by
// jsonpath_parse.go, which checks the whole RFC grammar and its typing
// rules at compile time, and evaluated by jsonpath_eval.go. Queries of the
// Goessner draft, which has no grammar to check, run on
// github.com/ohler55/ojg/jp as ojg reads them, extensions included.
//
// ojg is not used for RFC 9535 queries: its parser accepts what the RFC
// rejects and rejects what it allows (blanks, unions with slices or
// filters, escapes), and its filters, descendants and functions evaluate
// differently. The selectors it does evaluate as the RFC does (name,
// index, wildcard, slice) take a few lines here and run about ten times
// faster than ojg's Get, which allocates a 1 KB stack per call.
//
// This file adds what Arazzo needs on top: a root filter "$[?…]" is also
// applied to the context value itself (so the spec's own example passes on
// {"pets": […]}), and the "path == literal" form of published documents is
// evaluated as a comparison.

// JSONPath versions of the Expression Type Object.
const (
	JSONPathRFC9535  = "rfc9535"
	JSONPathGoessner = "draft-goessner-dispatch-jsonpath-00"
)

// JSONPath is a compiled JSONPath query, safe for concurrent use.
type JSONPath struct {
	text string
	rfc  *jpQuery // the RFC 9535 query; nil for the Goessner draft
	x    jp.Expr  // the Goessner query, for ojg
}

// CompileJSONPath compiles query once for many Select calls. version is
// "" or "rfc9535" for RFC 9535, or "draft-goessner-dispatch-jsonpath-00".
//
// An RFC 9535 query is checked against the whole grammar of the RFC,
// including the typing rules of its functions, and an error is a
// *SyntaxError with the column of the offending character. The Goessner
// draft has no grammar: its queries are read leniently (filters "?(…)",
// and ojg's extensions such as "=~", "in" and arithmetic).
func CompileJSONPath(query, version string) (*JSONPath, error) {
	switch version {
	case "", JSONPathRFC9535:
		q, err := parseRFC9535(query)
		if err != nil {
			return nil, err
		}
		return &JSONPath{text: query, rfc: q}, nil
	case JSONPathGoessner:
		x, err := compileJP(query)
		if err != nil {
			return nil, jsonPathError(query, err)
		}
		return &JSONPath{text: query, x: x}, nil
	}
	return nil, fmt.Errorf("unknown jsonpath version %q; use %s or %s", version, JSONPathRFC9535, JSONPathGoessner)
}

// String returns the query as written.
func (p *JSONPath) String() string { return p.text }

// Select returns the node list of the query on doc, a decoded JSON value,
// in the order RFC 9535 defines (object members in key order). It never
// panics: a failure inside the engine is returned as an error.
func (p *JSONPath) Select(doc any) ([]any, error) { return p.selectNodes(doc, false) }

// selectNodes is Select, with the Arazzo root filter when rootFilter is
// set: the filter of the first segment is also applied to a doc that is
// not an array, and doc itself is then the first node it selects.
func (p *JSONPath) selectNodes(doc any, rootFilter bool) (nodes []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			nodes, err = nil, fmt.Errorf("JSONPath %s failed: %v", p.text, r)
		}
	}()
	if p.rfc == nil {
		if _, isArray := doc.([]any); rootFilter && !isArray {
			// The Goessner filter "$[?(…)]" sees the context as the
			// only element of an array.
			nodes = p.x.Get([]any{doc})
		}
		return append(nodes, p.x.Get(doc)...), nil
	}
	e := &jpEnv{root: doc}
	segs := p.rfc.segments
	if _, isArray := asArray(doc); rootFilter && !isArray {
		if segs[0].selectors[0].filter.test(e, doc) {
			nodes = e.segments(segs[1:], doc, nodes)
		}
	}
	return e.segments(segs, doc, nodes), nil
}

type jsonPathQuery struct {
	text       string
	path       *JSONPath
	rootFilter bool // the first segment is a filter: also test the root itself
	// The comparison form "$.a.b == 'x'": path is the left side.
	cmpOp  string
	cmpLit any
}

// parseJSONPath compiles a JSONPath query of the given version;
// comparison enables the "path OP literal" form (criteria only), reported
// with a warning.
func parseJSONPath(text, version string, opts Options, comparison bool) (*jsonPathQuery, []Warning, error) {
	q := text
	var warns []Warning
	if trimmed := strings.TrimSpace(text); trimmed != text && trimmed != "" {
		switch {
		case version == JSONPathGoessner:
			q = trimmed
		case !opts.Strict:
			q = trimmed
			warns = append(warns, Warning{Column: 1, Code: "jsonpath-blanks",
				Message: "blanks around a JSONPath query are not RFC 9535; they were ignored"})
		}
	}
	if t := strings.TrimSpace(q); t == "" || t[0] != '$' {
		return nil, warns, &SyntaxError{Input: text, Column: 1, Msg: "a JSONPath query starts with '$' (for example $.items[*] or $[?@.id == 1])"}
	}
	p, err := CompileJSONPath(q, version)
	if err == nil {
		return &jsonPathQuery{text: q, path: p, rootFilter: startsWithFilter(p)}, warns, nil
	}
	if comparison {
		if cq, w, cerr := parseJSONPathComparison(q, version, opts); cerr == nil && cq != nil {
			return cq, append(warns, w...), nil
		} else if cerr != nil {
			return nil, append(warns, w...), cerr
		}
	}
	return nil, warns, err
}

// compileJP parses with ojg, which panics on some malformed input despite
// its own recovery; every panic becomes an error.
func compileJP(q string) (x jp.Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid JSONPath: %v", r)
		}
	}()
	return jp.ParseString(rewriteValueFunc(q))
}

var jpErrPos = regexp.MustCompile(` at (\d+)`)

// jsonPathError turns an ojg error into a positioned SyntaxError.
func jsonPathError(text string, err error) error {
	msg := err.Error()
	col := 1
	if m := jpErrPos.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			col = n
		}
		msg = msg[:strings.Index(msg, m[0])]
	}
	if i := strings.Index(msg, " is not a value or function"); i >= 0 {
		msg = "unknown JSONPath function " + strings.Trim(msg[:i], "'") + "(); RFC 9535 defines length(), count(), match(), search() and value()"
	}
	return &SyntaxError{Input: text, Column: col, Msg: "invalid JSONPath: " + msg}
}

// rewriteValueFunc drops RFC 9535's value() wrapper, which ojg lacks: its
// singular queries already compare by value.
func rewriteValueFunc(q string) string {
	if !strings.Contains(q, "value(") {
		return q
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(q) {
				b.WriteByte(c)
				i++
				c = q[i]
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(q[i:], "value(") && (i == 0 || !isAlnum(q[i-1]) && q[i-1] != '_'):
			i += len("value") - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// startsWithFilter reports whether the first segment of p is a single
// filter selector, "$[?…]".
func startsWithFilter(p *JSONPath) bool {
	if p.rfc != nil {
		segs := p.rfc.segments
		return len(segs) > 0 && !segs[0].descendant && len(segs[0].selectors) == 1 && segs[0].selectors[0].kind == jpFilter
	}
	if len(p.x) < 2 {
		return false
	}
	_, ok := p.x[1].(*jp.Filter)
	return ok
}

// parseJSONPathComparison recognises "$.data[0].status == 'completed'".
func parseJSONPathComparison(q, version string, opts Options) (*jsonPathQuery, []Warning, error) {
	i, op := topLevelComparison(q)
	if i < 0 {
		return nil, nil, nil
	}
	left, right := strings.TrimSpace(q[:i]), strings.TrimSpace(q[i+len(op):])
	if left == "" || left[0] != '$' {
		return nil, nil, nil
	}
	p, err := CompileJSONPath(left, version)
	if err != nil {
		return nil, nil, nil
	}
	lit, litText, ok := parseLiteral(right)
	if !ok {
		return nil, nil, nil
	}
	rewrite := "$[?" + left + " " + op + " " + litText + "]"
	if opts.Strict {
		return nil, nil, &SyntaxError{Input: q, Column: column(q, i) + 1,
			Msg: "a JSONPath condition is a query, not a comparison; write " + rewrite}
	}
	w := Warning{Column: column(q, i) + 1, Code: "jsonpath-comparison",
		Message: fmt.Sprintf("%q compares a path with a literal, which is not JSONPath; evaluated as that comparison (strings ignore case). The portable query is %s (its string comparison is case-sensitive)", q, rewrite)}
	return &jsonPathQuery{text: q, path: p, cmpOp: op, cmpLit: lit}, []Warning{w}, nil
}

// topLevelComparison finds a comparison operator outside brackets,
// parentheses and quotes.
func topLevelComparison(q string) (int, string) {
	depth := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		case depth == 0:
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
				if strings.HasPrefix(q[i:], op) {
					return i, op
				}
			}
		}
	}
	return -1, ""
}

// parseLiteral reads a whole-string literal: a number, true, false, null,
// or a single- or double-quoted string. It returns the value and its
// single-quoted JSONPath spelling.
func parseLiteral(s string) (any, string, bool) {
	switch s {
	case "true":
		return true, s, true
	case "false":
		return false, s, true
	case "null":
		return nil, s, true
	}
	if isJSONNumber(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, s, true
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f, s, true
	}
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		p := &condParser{text: s}
		v, err := p.quoted(s[0])
		if err != nil || p.pos != len(s) {
			return nil, "", false
		}
		return v, "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'", true
	}
	return nil, "", false
}

// get returns the query's node list on data, with the root filter.
func (q *jsonPathQuery) get(data any) ([]any, error) {
	return q.path.selectNodes(data, q.rootFilter)
}
