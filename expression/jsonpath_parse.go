package expression

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a recursive-descent parser for RFC 9535 JSONPath. It follows
// the ABNF of the RFC (sections 2.1 to 2.7) rule by rule and also applies
// the well-typedness rules of function expressions (section 2.4.3), so a
// query that parses here is well-formed and valid as the RFC defines it.
// Errors carry the column of the offending character.
//
// The result is a small AST (jpQuery) that jsonpath_eval.go evaluates.

// jpQuery is a parsed query: "$" or "@" followed by segments.
type jpQuery struct {
	relative bool // starts with "@" (only inside filters)
	segments []jpSegment
	singular bool // only name and index segments, each with one selector and no blanks inside [ ]
}

// jpSegment is a child segment ("[…]", ".name", ".*") or a descendant
// segment ("..[…]", "..name", "..*").
type jpSegment struct {
	descendant bool
	selectors  []jpSelector
	tight      bool // written without blanks inside the brackets (or in dot notation)
}

type jpSelectorKind uint8

const (
	jpName jpSelectorKind = iota
	jpWildcard
	jpIndex
	jpSlice
	jpFilter
)

// jpSelector is one selector of a segment.
type jpSelector struct {
	kind jpSelectorKind
	name string // jpName
	// jpIndex uses start; jpSlice uses start, end and step with the has* flags.
	start, end, step int64
	hasStart, hasEnd bool
	filter           jpLogical // jpFilter
}

// jpType is the declared type of a function result or parameter (RFC 9535
// section 2.4.1).
type jpType uint8

const (
	jpValueType jpType = iota
	jpLogicalType
	jpNodesType
)

// jpFuncDef declares a function extension: its parameter and result types.
type jpFuncDef struct {
	params []jpType
	result jpType
}

// jpFunctions are the function extensions RFC 9535 section 2.4 defines.
var jpFunctions = map[string]jpFuncDef{
	"length": {[]jpType{jpValueType}, jpValueType},
	"count":  {[]jpType{jpNodesType}, jpValueType},
	"match":  {[]jpType{jpValueType, jpValueType}, jpLogicalType},
	"search": {[]jpType{jpValueType, jpValueType}, jpLogicalType},
	"value":  {[]jpType{jpNodesType}, jpValueType},
}

const jpFunctionList = "RFC 9535 defines length(), count(), match(), search() and value()"

// I-JSON's exact integer range, which RFC 9535 requires of indexes and
// slice bounds.
const jpMaxInt = 1<<53 - 1

type jpParser struct {
	src string
	pos int
}

// parseRFC9535 parses a whole query; it must start with "$" and end with
// its last segment (no surrounding blanks).
func parseRFC9535(src string) (*jpQuery, error) {
	p := &jpParser{src: src}
	if !p.eat('$') {
		if p.pos < len(p.src) && isBlank(p.src[p.pos]) {
			return nil, p.errorf("a JSONPath query starts with '$' and has no blanks before it")
		}
		return nil, p.errorf("a JSONPath query starts with '$' (for example $.items[*] or $[?@.id == 1])")
	}
	q, err := p.segments(false)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		end := p.pos
		p.blanks()
		switch {
		case p.pos == len(p.src):
			p.pos = end
			return nil, p.errorf("blanks after the end of the query")
		case strings.IndexByte("=!<>", p.peek()) >= 0:
			return nil, p.errorf("unexpected %s after the query: a comparison goes inside a filter, as in $[?@.status == 'done']", p.describe())
		}
		return nil, p.errorf("unexpected %s after the query", p.describe())
	}
	return q, nil
}

func (p *jpParser) errorf(format string, args ...any) error {
	return &SyntaxError{Input: p.src, Column: column(p.src, p.pos), Msg: "invalid JSONPath: " + fmt.Sprintf(format, args...)}
}

// describe names the character at the current position for errors.
func (p *jpParser) describe() string {
	if p.pos >= len(p.src) {
		return "end of query"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	switch {
	case r == ' ':
		return "blank"
	case r < 0x20 || r == utf8.RuneError:
		return fmt.Sprintf("character %U", r)
	}
	return strconv.QuoteRune(r)
}

func (p *jpParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *jpParser) eat(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *jpParser) eatString(s string) bool {
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

// blanks skips S = *B, B = space, tab, line feed, carriage return.
func (p *jpParser) blanks() {
	for p.pos < len(p.src) && isBlank(p.src[p.pos]) {
		p.pos++
	}
}

// segments reads *(S segment) after "$" or "@". Blanks that do not lead to
// a segment are left for the caller.
func (p *jpParser) segments(relative bool) (*jpQuery, error) {
	q := &jpQuery{relative: relative, singular: true}
	for {
		save := p.pos
		p.blanks()
		if c := p.peek(); c != '[' && c != '.' {
			p.pos = save
			return q, nil
		}
		seg, err := p.segment()
		if err != nil {
			return nil, err
		}
		if seg.descendant || len(seg.selectors) != 1 || !seg.tight ||
			seg.selectors[0].kind != jpName && seg.selectors[0].kind != jpIndex {
			q.singular = false
		}
		q.segments = append(q.segments, seg)
	}
}

// segment reads child-segment / descendant-segment.
func (p *jpParser) segment() (jpSegment, error) {
	if p.eatString("..") {
		seg := jpSegment{descendant: true, tight: true}
		switch {
		case p.peek() == '[':
			return p.bracketed(true)
		case p.eat('*'):
			seg.selectors = []jpSelector{{kind: jpWildcard}}
		case p.nameFirst():
			seg.selectors = []jpSelector{{kind: jpName, name: p.memberName()}}
		default:
			return seg, p.errorf("expected a name, '*' or '[' after '..', found %s", p.describe())
		}
		return seg, nil
	}
	if p.eat('.') {
		seg := jpSegment{tight: true}
		switch {
		case p.eat('*'):
			seg.selectors = []jpSelector{{kind: jpWildcard}}
		case p.nameFirst():
			seg.selectors = []jpSelector{{kind: jpName, name: p.memberName()}}
		default:
			return seg, p.errorf("expected a member name or '*' after '.', found %s (names that are not identifiers go in brackets: ['1'])", p.describe())
		}
		return seg, nil
	}
	return p.bracketed(false)
}

// nameFirst reports whether a member-name-shorthand starts here:
// ALPHA / "_" / %x80-D7FF / %xE000-10FFFF.
func (p *jpParser) nameFirst() bool {
	if p.pos >= len(p.src) {
		return false
	}
	c := p.src[p.pos]
	if c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
	}
	// Any other valid UTF-8 character: Go strings hold no surrogates.
	r, size := utf8.DecodeRuneInString(p.src[p.pos:])
	return r != utf8.RuneError || size > 1
}

// memberName reads name-first *name-char.
func (p *jpParser) memberName() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c < utf8.RuneSelf {
			if !isAlnum(c) && c != '_' {
				break
			}
			p.pos++
			continue
		}
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		p.pos += size
	}
	return p.src[start:p.pos]
}

// bracketed reads "[" S selector *(S "," S selector) S "]".
func (p *jpParser) bracketed(descendant bool) (jpSegment, error) {
	seg := jpSegment{descendant: descendant, tight: true}
	p.pos++ // '['
	for {
		before := p.pos
		p.blanks()
		if p.pos != before {
			seg.tight = false
		}
		if p.peek() == ']' {
			if len(seg.selectors) == 0 {
				return seg, p.errorf("empty brackets: write a selector such as ['name'], [0], [1:3], [*] or [?@.x]")
			}
			return seg, p.errorf("expected a selector after ',', found ']'")
		}
		sel, err := p.selector()
		if err != nil {
			return seg, err
		}
		seg.selectors = append(seg.selectors, sel)
		before = p.pos
		p.blanks()
		if p.pos != before {
			seg.tight = false
		}
		switch {
		case p.eat(']'):
			return seg, nil
		case p.eat(','):
		case p.pos >= len(p.src):
			return seg, p.errorf("missing ']'")
		default:
			return seg, p.errorf("expected ',' or ']' after a selector, found %s", p.describe())
		}
	}
}

// selector reads name / wildcard / slice / index / filter selectors.
func (p *jpParser) selector() (jpSelector, error) {
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		s, err := p.stringLiteral()
		return jpSelector{kind: jpName, name: s}, err
	case c == '*':
		p.pos++
		return jpSelector{kind: jpWildcard}, nil
	case c == '?':
		p.pos++
		p.blanks()
		f, err := p.logicalOr()
		return jpSelector{kind: jpFilter, filter: f}, err
	case c == '-' || isDigit(c) || c == ':':
		return p.indexOrSlice()
	case c == '@' || c == '$':
		return jpSelector{}, p.errorf("%q is only allowed inside a filter: write [?%c…]", c, c)
	}
	return jpSelector{}, p.errorf("expected a selector (a quoted name, an index, a slice, '*' or a filter '?…'), found %s", p.describe())
}

// indexOrSlice reads index-selector or
// slice-selector = [start S] ":" S [end S] [":" [S step]].
func (p *jpParser) indexOrSlice() (jpSelector, error) {
	sel := jpSelector{kind: jpSlice, step: 1}
	var err error
	if p.peek() != ':' {
		if sel.start, err = p.integer(); err != nil {
			return sel, err
		}
		sel.hasStart = true
		save := p.pos
		p.blanks()
		if p.peek() != ':' {
			p.pos = save
			sel.kind = jpIndex
			return sel, nil
		}
	}
	p.pos++ // ':'
	p.blanks()
	if c := p.peek(); c == '-' || isDigit(c) {
		if sel.end, err = p.integer(); err != nil {
			return sel, err
		}
		sel.hasEnd = true
		p.blanks()
	}
	if p.eat(':') {
		save := p.pos
		p.blanks()
		if c := p.peek(); c == '-' || isDigit(c) {
			if sel.step, err = p.integer(); err != nil {
				return sel, err
			}
		} else {
			p.pos = save
		}
	}
	return sel, nil
}

// integer reads int = "0" / (["-"] DIGIT1 *DIGIT) within I-JSON's exact
// range.
func (p *jpParser) integer() (int64, error) {
	start := p.pos
	neg := p.eat('-')
	if !isDigit(p.peek()) {
		return 0, p.errorf("expected a digit, found %s", p.describe())
	}
	if p.peek() == '0' {
		p.pos++
		if neg {
			p.pos = start
			return 0, p.errorf("-0 is not an index; write 0")
		}
		if isDigit(p.peek()) {
			p.pos = start
			return 0, p.errorf("an index has no leading zeros")
		}
		return 0, nil
	}
	for isDigit(p.peek()) {
		p.pos++
	}
	n, err := strconv.ParseInt(p.src[start:p.pos], 10, 64)
	if err != nil || n > jpMaxInt || n < -jpMaxInt {
		p.pos = start
		return 0, p.errorf("%s is outside the range ±(2^53-1) that RFC 9535 allows for indexes", p.src[start:start+digitsLen(p.src[start:])])
	}
	return n, nil
}

func digitsLen(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// stringLiteral reads a single- or double-quoted string literal and
// returns its value.
func (p *jpParser) stringLiteral() (string, error) {
	quote := p.src[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			p.pos = start
			return "", p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\\':
			r, err := p.escape(quote)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case c < 0x20:
			return "", p.errorf("control character %U in a string must be escaped (\\n, \\t, \\u00XX)", rune(c))
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			p.pos++
		default:
			r, size := utf8.DecodeRuneInString(p.src[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf("invalid UTF-8 in a string")
			}
			b.WriteString(p.src[p.pos : p.pos+size])
			p.pos += size
		}
	}
}

// escape reads ESC (escapable / the string's own quote) and returns the
// character it stands for.
func (p *jpParser) escape(quote byte) (rune, error) {
	p.pos++ // '\'
	c := p.peek()
	p.pos++
	switch c {
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case '/', '\\':
		return rune(c), nil
	case quote:
		return rune(c), nil
	case 'u':
		hi, err := p.hex4()
		if err != nil {
			return 0, err
		}
		switch {
		case hi >= 0xDC00 && hi <= 0xDFFF:
			p.pos -= 6
			return 0, p.errorf("\\u%04X is a low surrogate without a high surrogate before it", hi)
		case hi >= 0xD800 && hi <= 0xDBFF:
			if !p.eatString(`\u`) {
				p.pos -= 6
				return 0, p.errorf("\\u%04X is a high surrogate; a \\uDC00-\\uDFFF escape must follow it", hi)
			}
			lo, err := p.hex4()
			if err != nil {
				return 0, err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				p.pos -= 6
				return 0, p.errorf("\\u%04X must be a low surrogate (\\uDC00-\\uDFFF) after \\u%04X", lo, hi)
			}
			return 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00), nil
		}
		return hi, nil
	}
	p.pos -= 2
	if c == 0 && p.pos+1 >= len(p.src) {
		return 0, p.errorf("unterminated escape at the end of the query")
	}
	other := byte('"')
	if quote == '"' {
		other = '\''
	}
	if c == other {
		return 0, p.errorf("\\%c is not an escape in a %c-quoted string; write %c without the backslash", c, quote, c)
	}
	return 0, p.errorf("invalid escape; a string allows \\b \\f \\n \\r \\t \\/ \\\\ \\%c and \\uXXXX", quote)
}

func (p *jpParser) hex4() (rune, error) {
	if p.pos+4 > len(p.src) {
		return 0, p.errorf("\\u needs four hexadecimal digits")
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.src[p.pos+i]
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			p.pos += i
			return 0, p.errorf("\\u needs four hexadecimal digits")
		}
		r = r<<4 | rune(d)
	}
	p.pos += 4
	return r, nil
}

// The filter language (RFC 9535 section 2.3.5).

// jpLogical is a logical expression: it tests the current node.
type jpLogical interface {
	test(e *jpEnv, cur any) bool
}

// jpValue is a comparable: a literal, a singular query or a function of
// ValueType. ok is false for the special result Nothing.
type jpValue interface {
	value(e *jpEnv, cur any) (v any, ok bool)
}

type jpOr []jpLogical
type jpAnd []jpLogical
type jpNot struct{ x jpLogical }

// jpExists is a test expression with a query: true when it selects a node.
type jpExists struct{ q *jpQuery }

// jpFuncTest is a test expression with a function of LogicalType.
type jpFuncTest struct{ f *jpFunc }

// jpCompare is a comparison expression.
type jpCompare struct {
	op   string
	l, r jpValue
}

// jpLiteral is a literal value: a number (int64 or float64), a string,
// true, false or null.
type jpLiteral struct{ v any }

// jpFunc is a call of one of jpFunctions with checked argument types.
type jpFunc struct {
	name  string
	def   jpFuncDef
	vals  []jpValue  // ValueType arguments (length, match, search)
	nodes []*jpQuery // NodesType arguments (count, value)
	re    *iregexp   // match/search with a literal pattern: compiled once
}

// logicalOr reads logical-and-expr *(S "||" S logical-and-expr).
func (p *jpParser) logicalOr() (jpLogical, error) {
	x, err := p.logicalAnd()
	if err != nil {
		return nil, err
	}
	or := jpOr{x}
	for {
		save := p.pos
		p.blanks()
		if !p.eatString("||") {
			p.pos = save
			break
		}
		p.blanks()
		y, err := p.logicalAnd()
		if err != nil {
			return nil, err
		}
		or = append(or, y)
	}
	if len(or) == 1 {
		return x, nil
	}
	return or, nil
}

// logicalAnd reads basic-expr *(S "&&" S basic-expr).
func (p *jpParser) logicalAnd() (jpLogical, error) {
	x, err := p.basic()
	if err != nil {
		return nil, err
	}
	and := jpAnd{x}
	for {
		save := p.pos
		p.blanks()
		if !p.eatString("&&") {
			p.pos = save
			break
		}
		p.blanks()
		y, err := p.basic()
		if err != nil {
			return nil, err
		}
		and = append(and, y)
	}
	if len(and) == 1 {
		return x, nil
	}
	return and, nil
}

// basic reads paren-expr / comparison-expr / test-expr.
func (p *jpParser) basic() (jpLogical, error) {
	if p.eat('!') {
		p.blanks()
		var x jpLogical
		var err error
		switch c := p.peek(); {
		case c == '(':
			x, err = p.paren()
		case c == '@' || c == '$':
			var q *jpQuery
			q, err = p.filterQuery()
			x = jpExists{q}
		case 'a' <= c && c <= 'z':
			x, err = p.testFunction()
		default:
			return nil, p.errorf("expected a query, a function or '(' after '!', found %s", p.describe())
		}
		if err != nil {
			return nil, err
		}
		return jpNot{x}, nil
	}
	if p.peek() == '(' {
		return p.paren()
	}
	start := p.pos
	left, leftPos, err := p.operand()
	if err != nil {
		return nil, err
	}
	save := p.pos
	p.blanks()
	op := p.comparisonOp()
	if op == "" {
		p.pos = save
		switch x := left.(type) {
		case *jpQuery:
			return jpExists{x}, nil
		case *jpFunc:
			if x.def.result == jpValueType {
				p.pos = leftPos
				return nil, p.errorf("the result of %s() must be compared, as in %s(…) > 0", x.name, x.name)
			}
			return jpFuncTest{x}, nil
		}
		p.pos = start
		return nil, p.errorf("a literal must be compared (as in @.x == %s); it cannot stand alone", p.src[start:save])
	}
	l, err := p.comparable(left, leftPos)
	if err != nil {
		return nil, err
	}
	p.blanks()
	right, rightPos, err := p.operand()
	if err != nil {
		return nil, err
	}
	r, err := p.comparable(right, rightPos)
	if err != nil {
		return nil, err
	}
	return &jpCompare{op: op, l: l, r: r}, nil
}

// paren reads "(" S logical-expr S ")".
func (p *jpParser) paren() (jpLogical, error) {
	p.pos++ // '('
	p.blanks()
	x, err := p.logicalOr()
	if err != nil {
		return nil, err
	}
	p.blanks()
	if !p.eat(')') {
		return nil, p.errorf("expected ')', found %s", p.describe())
	}
	return x, nil
}

func (p *jpParser) comparisonOp() string {
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.eatString(op) {
			return op
		}
	}
	return ""
}

// operand reads a literal, a filter query or a function expression and
// returns it with its start position: a *jpLiteral, *jpQuery or *jpFunc.
func (p *jpParser) operand() (any, int, error) {
	start := p.pos
	switch c := p.peek(); {
	case c == '@' || c == '$':
		q, err := p.filterQuery()
		return q, start, err
	case c == '\'' || c == '"':
		s, err := p.stringLiteral()
		return &jpLiteral{s}, start, err
	case c == '-' || isDigit(c):
		n, err := p.number()
		return &jpLiteral{n}, start, err
	case 'a' <= c && c <= 'z':
		name := p.functionName()
		if p.peek() == '(' {
			f, err := p.function(name, start)
			return f, start, err
		}
		switch name {
		case "true":
			return &jpLiteral{true}, start, nil
		case "false":
			return &jpLiteral{false}, start, nil
		case "null":
			return &jpLiteral{nil}, start, nil
		}
		if p.pos < len(p.src) && isBlank(p.src[p.pos]) {
			return nil, start, p.errorf("no blank is allowed between a function name and '('")
		}
		p.pos = start
		return nil, start, p.errorf("unknown name %q: expected true, false, null or a function call", name)
	case p.eatString("True") || p.eatString("False") || p.eatString("Null"):
		p.pos = start
		return nil, start, p.errorf("true, false and null are written in lower case")
	}
	return nil, start, p.errorf("expected a query (@… or $…), a literal or a function, found %s", p.describe())
}

// comparable checks that an operand can be compared: a literal, a
// singular query or a function of ValueType.
func (p *jpParser) comparable(x any, pos int) (jpValue, error) {
	switch t := x.(type) {
	case *jpLiteral:
		return t, nil
	case *jpQuery:
		if !t.singular {
			p.pos = pos
			return nil, p.errorf("a comparison needs a singular query (only .name, ['name'] and [index] segments, no blanks inside brackets); this one can select several nodes")
		}
		return t, nil
	case *jpFunc:
		if t.def.result != jpValueType {
			p.pos = pos
			return nil, p.errorf("%s() returns a logical result, which cannot be compared; use it alone, as in [?%s(…)]", t.name, t.name)
		}
		return t, nil
	}
	return nil, p.errorf("internal: unexpected operand %T", x)
}

// filterQuery reads rel-query / jsonpath-query inside a filter.
func (p *jpParser) filterQuery() (*jpQuery, error) {
	relative := p.src[p.pos] == '@'
	p.pos++
	return p.segments(relative)
}

// testFunction reads a function expression used as a test: it must be of
// LogicalType (or NodesType).
func (p *jpParser) testFunction() (jpLogical, error) {
	start := p.pos
	name := p.functionName()
	if p.peek() != '(' {
		p.pos = start
		return nil, p.errorf("expected a function call after '!'")
	}
	f, err := p.function(name, start)
	if err != nil {
		return nil, err
	}
	if f.def.result == jpValueType {
		p.pos = start
		return nil, p.errorf("the result of %s() must be compared, as in %s(…) > 0", f.name, f.name)
	}
	return jpFuncTest{f}, nil
}

// functionName reads LCALPHA *(LCALPHA / "_" / DIGIT).
func (p *jpParser) functionName() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !('a' <= c && c <= 'z' || c == '_' || isDigit(c)) {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

// function reads "(" S [function-argument *(S "," S function-argument)] S ")"
// after the name and checks the arguments against the declared types.
func (p *jpParser) function(name string, start int) (*jpFunc, error) {
	def, ok := jpFunctions[name]
	if !ok {
		p.pos = start
		return nil, p.errorf("unknown JSONPath function %s(); %s", name, jpFunctionList)
	}
	f := &jpFunc{name: name, def: def}
	p.pos++ // '('
	p.blanks()
	var args []any
	var argPos []int
	if !p.eat(')') {
		for {
			pos := p.pos
			a, err := p.argument()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			argPos = append(argPos, pos)
			p.blanks()
			if p.eat(')') {
				break
			}
			if !p.eat(',') {
				return nil, p.errorf("expected ',' or ')' in the arguments of %s(), found %s", name, p.describe())
			}
			p.blanks()
		}
	}
	if len(args) != len(def.params) {
		p.pos = start
		return nil, p.errorf("%s() takes %d argument%s, not %d", name, len(def.params), plural(len(def.params)), len(args))
	}
	end := p.pos
	for i, a := range args {
		p.pos = argPos[i]
		switch def.params[i] {
		case jpValueType:
			v, ok := a.(jpValue)
			if q, isQuery := a.(*jpQuery); isQuery && !q.singular {
				ok = false
			}
			if fn, isFunc := a.(*jpFunc); isFunc && fn.def.result != jpValueType {
				ok = false
			}
			if !ok {
				return nil, p.errorf("argument %d of %s() must be a value: a literal, a singular query such as @.name, or a function such as length(…)", i+1, name)
			}
			f.vals = append(f.vals, v)
		case jpNodesType:
			q, ok := a.(*jpQuery)
			if !ok {
				return nil, p.errorf("argument %d of %s() must be a query such as @.items[*]", i+1, name)
			}
			f.nodes = append(f.nodes, q)
		}
	}
	if (name == "match" || name == "search") && f.vals != nil {
		if lit, ok := f.vals[1].(*jpLiteral); ok {
			if s, ok := lit.v.(string); ok {
				// An invalid pattern is not an error: the function is then
				// false (RFC 9535 sections 2.4.6 and 2.4.7).
				f.re = compileIRegexp(s, name == "match")
			}
		}
	}
	p.pos = end
	return f, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// argument reads function-argument = literal / filter-query / logical-expr
// / function-expr. A literal, query or function standing alone is
// returned as itself (it keeps its own type); anything else is read as a
// logical expression.
func (p *jpParser) argument() (any, error) {
	start := p.pos
	if c := p.peek(); c != '!' && c != '(' {
		// A logical expression would start with the same operand, so its
		// error is final (and re-reading it would cost time exponential
		// in the nesting of function calls).
		x, _, err := p.operand()
		if err != nil {
			return nil, err
		}
		save := p.pos
		p.blanks()
		c := p.peek()
		p.pos = save
		if c == ',' || c == ')' {
			return x, nil
		}
		p.pos = start
	}
	return p.logicalOr()
}

// number reads number = (int / "-0") [frac] [exp] and returns an int64
// when it is an integer that fits, otherwise a float64.
func (p *jpParser) number() (any, error) {
	start := p.pos
	p.eat('-')
	switch {
	case p.peek() == '0':
		p.pos++
		if isDigit(p.peek()) {
			p.pos = start
			return nil, p.errorf("a number has no leading zeros")
		}
	case isDigit(p.peek()):
		for isDigit(p.peek()) {
			p.pos++
		}
	default:
		return nil, p.errorf("expected a digit, found %s", p.describe())
	}
	integral := true
	if p.eat('.') {
		integral = false
		if !isDigit(p.peek()) {
			return nil, p.errorf("expected a digit after the decimal point")
		}
		for isDigit(p.peek()) {
			p.pos++
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		integral = false
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if !isDigit(p.peek()) {
			return nil, p.errorf("expected a digit in the exponent")
		}
		for isDigit(p.peek()) {
			p.pos++
		}
	}
	text := p.src[start:p.pos]
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// Only a range error is possible here: the syntax was checked.
		p.pos = start
		return nil, p.errorf("number %s is out of range", text)
	}
	return f, nil
}
