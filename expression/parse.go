package expression

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file is the runtime-expression parser: a hand-written recursive
// descent over the ABNF of Arazzo 1.1.0 (runtime-expression grammar), with
// the looser 1.0.1 rules where Options.Version asks for them and the lenient
// forms of published documents. It reads top to bottom in grammar order.

// Expression kinds added to the contract's list: the 1.1 grammar lets a
// $message source name query and path parameters too.
const (
	KindMessageQuery Kind = KindSelf + 1 + iota // $message.query.Name (1.1)  Ref.Name
	KindMessagePath                             // $message.path.Name (1.1)   Ref.Name
)

var kindNames = [...]string{
	KindInvalid:           "invalid",
	KindURL:               "$url",
	KindMethod:            "$method",
	KindStatusCode:        "$statusCode",
	KindRequestHeader:     "$request.header",
	KindRequestQuery:      "$request.query",
	KindRequestPath:       "$request.path",
	KindRequestBody:       "$request.body",
	KindResponseHeader:    "$response.header",
	KindResponseBody:      "$response.body",
	KindMessageHeader:     "$message.header",
	KindMessagePayload:    "$message.payload",
	KindInputs:            "$inputs",
	KindOutputs:           "$outputs",
	KindStepOutputs:       "$steps",
	KindWorkflowInputs:    "$workflows.inputs",
	KindWorkflowOutputs:   "$workflows.outputs",
	KindSourceDescription: "$sourceDescriptions",
	KindComponent:         "$components",
	KindSelf:              "$self",
	KindMessageQuery:      "$message.query",
	KindMessagePath:       "$message.path",
}

// String returns the expression prefix of k ("$response.body").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + itoa(int(k)) + ")"
}

// mode says where an expression is being read; it decides where names and
// pointers end, since the grammar's names may contain almost anything.
type mode uint8

const (
	modeWhole    mode = iota // the input is exactly one expression
	modeEmbedded             // inside "{…}": ends at '}'
	modeOperand              // a simple-condition operand: ends at blanks and operators
	modeBare                 // written without braces inside longer text
)

// Parse parses one complete runtime expression ("$response.body#/id").
func Parse(text string, opts Options) (*Expr, []Warning, error) {
	e, end, warns, err := parseAt(text, 0, modeWhole, opts)
	if err != nil {
		return nil, warns, err
	}
	if end != len(text) {
		return nil, warns, trailingError(text, end, e)
	}
	return e, warns, nil
}

func trailingError(text string, end int, e *Expr) error {
	r, _ := utf8.DecodeRuneInString(text[end:])
	return &SyntaxError{Input: text, Column: column(text, end),
		Msg: fmt.Sprintf("unexpected %q after %s; names may contain only letters, digits, '.', '-' and '_', and a JSON Pointer follows '#'", r, text[:end])}
}

// parseAt reads one expression starting at text[start], which must be '$',
// and returns it with the offset just after it.
func parseAt(text string, start int, m mode, opts Options) (*Expr, int, []Warning, error) {
	p := &parser{text: text, pos: start, start: start, mode: m, opts: opts, v11: isV11(opts.Version)}
	e, err := p.expression()
	if err != nil {
		return nil, p.pos, p.warns, err
	}
	e.Text = text[start:p.pos]
	e.col = column(text, start)
	return e, p.pos, p.warns, nil
}

func isV11(version string) bool { return !strings.HasPrefix(version, "1.0") }

type parser struct {
	text  string // the whole input, for columns and messages
	pos   int    // next byte to read
	start int    // where the expression began
	mode  mode
	opts  Options
	v11   bool
	warns []Warning
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Input: p.text, Column: column(p.text, pos), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) warn(pos int, code, format string, args ...any) {
	p.warns = append(p.warns, Warning{Column: column(p.text, pos), Code: code, Message: fmt.Sprintf(format, args...)})
}

// sofar is the expression text read so far, for messages.
func (p *parser) sofar() string { return p.text[p.start:p.pos] }

func (p *parser) peek() byte {
	if p.pos < len(p.text) {
		return p.text[p.pos]
	}
	return 0
}

func (p *parser) accept(s string) bool {
	if strings.HasPrefix(p.text[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

// word reads a run of ASCII letters and digits: a keyword of the grammar.
func (p *parser) word() string {
	i := p.pos
	for i < len(p.text) && isAlnum(p.text[i]) {
		i++
	}
	w := p.text[p.pos:i]
	p.pos = i
	return w
}

func (p *parser) expectDot(what string) error {
	if p.peek() != '.' {
		return p.errorf(p.pos, "expected '.' after %s", p.sofar())
	}
	p.pos++
	if p.pos >= len(p.text) {
		return p.errorf(p.pos, "expected %s after %s", what, p.sofar())
	}
	return nil
}

// needV11 reports a 1.1-only form in a 1.0 document: a warning in lenient
// mode, an error in strict mode.
func (p *parser) needV11(pos int, what string) error {
	if p.v11 {
		return nil
	}
	if p.opts.Strict {
		return p.errorf(pos, "%s needs Arazzo 1.1; this document declares %s", what, p.opts.Version)
	}
	p.warn(pos, "version", "%s needs Arazzo 1.1; this document declares %s", what, p.opts.Version)
	return nil
}

// expression = "$url" / "$method" / "$statusCode" / "$request." source /
// "$response." source / "$message." source / "$inputs." … / "$self"
func (p *parser) expression() (*Expr, error) {
	if p.peek() != '$' {
		return nil, p.errorf(p.pos, "a runtime expression starts with '$'")
	}
	p.pos++
	kwPos := p.pos
	e := &Expr{}
	switch kw := p.word(); kw {
	case "url":
		e.Kind = KindURL
	case "method":
		e.Kind = KindMethod
	case "statusCode":
		e.Kind = KindStatusCode
	case "self":
		e.Kind = KindSelf
		if err := p.needV11(kwPos, "$self"); err != nil {
			return nil, err
		}
	case "request", "response", "message":
		if kw == "message" {
			if err := p.needV11(kwPos, "$message"); err != nil {
				return nil, err
			}
		}
		if err := p.expectDot("header, query, path, body or payload"); err != nil {
			return nil, err
		}
		return e, p.source(e, kw)
	case "inputs", "outputs":
		e.Kind = KindInputs
		if kw == "outputs" {
			e.Kind = KindOutputs
		}
		if err := p.expectDot("a name"); err != nil {
			return nil, err
		}
		return e, p.namedValue(e, kw[:len(kw)-1]+" name")
	case "steps":
		return e, p.steps(e)
	case "workflows":
		return e, p.workflows(e)
	case "sourceDescriptions":
		return e, p.sourceDescriptions(e)
	case "components":
		return e, p.components(e)
	case "":
		return nil, p.errorf(kwPos, "expected a name after '$', such as $inputs, $steps or $response")
	default:
		return nil, p.errorf(kwPos, "unknown runtime expression $%s; expected $url, $method, $statusCode, $request, $response, $message, $inputs, $outputs, $steps, $workflows, $sourceDescriptions, $components or $self", kw)
	}
	return e, nil
}

// source = header-reference / query-reference / path-reference /
// body-reference / payload-reference
func (p *parser) source(e *Expr, root string) error {
	pos := p.pos
	switch w := p.word(); w {
	case "header":
		e.Kind = pick(root, KindRequestHeader, KindResponseHeader, KindMessageHeader)
		if err := p.expectDot("a header name"); err != nil {
			return err
		}
		e.Name = p.token()
		if e.Name == "" {
			return p.errorf(p.pos, "expected a header name after %s", p.sofar())
		}
		return nil
	case "query", "path":
		switch root + "." + w {
		case "request.query":
			e.Kind = KindRequestQuery
		case "request.path":
			e.Kind = KindRequestPath
		case "message.query":
			e.Kind = KindMessageQuery
		case "message.path":
			e.Kind = KindMessagePath
		default:
			return p.errorf(pos, "$response.%s does not exist: a response has headers and a body; use $request.%s for the request's parameters", w, w)
		}
		if p.peek() != '.' {
			return p.errorf(p.pos, "expected '.' after %s", p.sofar())
		}
		p.pos++
		name, err := p.charName()
		e.Name = name
		return err
	case "body", "payload":
		if w == "payload" && root != "message" {
			if err := p.needV11(pos, "payload"); err != nil {
				return err
			}
		}
		e.Kind = pick(root, KindRequestBody, KindResponseBody, KindMessagePayload)
		return p.pointerOrPath(e)
	case "":
		return p.errorf(pos, "expected header, query, path, body or payload after %s", p.sofar())
	default:
		return p.errorf(pos, "unknown source %q after $%s.; expected header, query, path, body or payload", w, root)
	}
}

// pick chooses the kind for a $request, $response or $message source.
func pick(root string, request, response, message Kind) Kind {
	switch root {
	case "request":
		return request
	case "response":
		return response
	}
	return message
}

// namedValue reads an identifier name and its optional JSON Pointer:
// inputs-reference, outputs-reference and the tails of steps and workflows
// references.
func (p *parser) namedValue(e *Expr, what string) error {
	pos := p.pos
	name := p.identifier()
	if name == "" {
		return p.errorf(pos, "expected %s after %s", what, p.sofar())
	}
	e.Name = name
	if err := p.pointerOrPath(e); err != nil {
		return err
	}
	if strings.Contains(name, ".") && !p.opts.Strict {
		e.alts = dottedReadings(e)
		if len(e.alts) > 0 {
			p.warn(pos, "dotted-name", "%s names the %s %q; when there is none it is read as %s", p.sofar(), what, name, e.alts[len(e.alts)-1].String())
		}
	}
	return nil
}

// steps-reference = step-id ".outputs." output-name [ "#" json-pointer ]
func (p *parser) steps(e *Expr) error {
	e.Kind = KindStepOutputs
	if err := p.expectDot("a step id"); err != nil {
		return err
	}
	pos := p.pos
	if e.ID = p.strictIdentifier(); e.ID == "" {
		return p.errorf(pos, "expected a step id after $steps.; step ids contain letters, digits, '-' and '_'")
	}
	if p.peek() != '.' {
		return p.errorf(p.pos, "expected '.outputs.' after %s", p.sofar())
	}
	if !p.accept(".outputs.") {
		if p.accept(".outputs") {
			return p.errorf(p.pos, "expected '.' and an output name after %s", p.sofar())
		}
		// $steps.ID.NAME, found in published documents written for lenient
		// runners: read as $steps.ID.outputs.NAME.
		if p.opts.Strict {
			return p.errorf(p.pos, "expected '.outputs.' after %s", p.sofar())
		}
		dot := p.pos
		p.pos++
		if err := p.namedValue(e, "output name"); err != nil {
			return err
		}
		p.warn(dot, "steps-without-outputs", "%s has no '.outputs.'; read as %s", p.sofar(), e.String())
		return nil
	}
	return p.namedValue(e, "output name")
}

// workflows-reference = workflow-id "." workflow-field "." workflow-field-name [ "#" json-pointer ]
func (p *parser) workflows(e *Expr) error {
	if err := p.expectDot("a workflow id"); err != nil {
		return err
	}
	pos := p.pos
	if e.ID = p.strictIdentifier(); e.ID == "" {
		return p.errorf(pos, "expected a workflow id after $workflows.; workflow ids contain letters, digits, '-' and '_'")
	}
	if err := p.expectDot("inputs or outputs"); err != nil {
		return err
	}
	pos = p.pos
	switch p.word() {
	case "inputs":
		e.Kind = KindWorkflowInputs
	case "outputs":
		e.Kind = KindWorkflowOutputs
	default:
		return p.errorf(pos, "expected inputs or outputs after $workflows.%s.", e.ID)
	}
	if err := p.expectDot("a name"); err != nil {
		return err
	}
	what := "input name"
	if e.Kind == KindWorkflowOutputs {
		what = "output name"
	}
	return p.namedValue(e, what)
}

// source-reference = source-name "." source-reference-id
func (p *parser) sourceDescriptions(e *Expr) error {
	e.Kind = KindSourceDescription
	if err := p.expectDot("a source description name"); err != nil {
		return err
	}
	pos := p.pos
	if e.ID = p.strictIdentifier(); e.ID == "" {
		return p.errorf(pos, "expected a source description name after $sourceDescriptions.")
	}
	if p.peek() != '.' {
		return p.errorf(p.pos, "expected '.' and an operationId, workflowId or field after %s", p.sofar())
	}
	p.pos++
	pos = p.pos
	name, err := p.charName()
	if err != nil {
		return err
	}
	if name == "" {
		return p.errorf(pos, "expected an operationId, workflowId or field name after %s", p.sofar())
	}
	e.Name = name
	return nil
}

// components-reference = component-type "." component-name
func (p *parser) components(e *Expr) error {
	e.Kind = KindComponent
	if err := p.expectDot("a component type"); err != nil {
		return err
	}
	pos := p.pos
	switch e.ID = p.word(); e.ID {
	case "parameters", "successActions", "failureActions", "inputs":
	default:
		return p.errorf(pos, "unknown component type %q; expected parameters, successActions, failureActions or inputs", e.ID)
	}
	if err := p.expectDot("a component name"); err != nil {
		return err
	}
	pos = p.pos
	if e.Name = p.identifier(); e.Name == "" {
		return p.errorf(pos, "expected a component name after %s", p.sofar())
	}
	return nil
}

// pointerOrPath reads the optional "#" json-pointer after a body or a name,
// or, leniently, a dot/bracket path written instead of a pointer
// ("$response.body.data[0].id").
func (p *parser) pointerOrPath(e *Expr) error {
	switch c := p.peek(); {
	case c == '#':
		p.pos++
		return p.pointer(e)
	case (c == '.' || c == '[') && p.mode != modeOperand:
		// In a simple condition, '.' and '[]' are the condition's own
		// operators; elsewhere they are a lenient path.
		return p.dotPath(e)
	}
	return nil
}

// pointer reads json-pointer = *( "/" reference-token ) and decodes it.
func (p *parser) pointer(e *Expr) error {
	e.Pointer = []string{}
	for p.pos < len(p.text) && !p.pointerStop(p.text[p.pos]) {
		if p.text[p.pos] != '/' {
			return p.errorf(p.pos, "a JSON Pointer starts with '/': write %s#/%s", p.text[p.start:p.pos-1], p.text[p.pos:])
		}
		p.pos++
		var b strings.Builder
		raw := p.pos
		for p.pos < len(p.text) && p.text[p.pos] != '/' && !p.pointerStop(p.text[p.pos]) {
			c := p.text[p.pos]
			if c == '~' {
				if p.pos+1 >= len(p.text) || (p.text[p.pos+1] != '0' && p.text[p.pos+1] != '1') {
					return p.errorf(p.pos, "invalid escape in JSON Pointer: write ~0 for '~' and ~1 for '/'")
				}
				b.WriteString(p.text[raw:p.pos])
				if p.text[p.pos+1] == '0' {
					b.WriteByte('~')
				} else {
					b.WriteByte('/')
				}
				p.pos += 2
				raw = p.pos
				continue
			}
			p.pos++
		}
		tok := p.text[raw:p.pos]
		if b.Len() > 0 {
			b.WriteString(tok)
			tok = b.String()
		}
		e.Pointer = append(e.Pointer, tok)
	}
	if p.mode == modeBare {
		// A bare pointer ends before trailing punctuation of the sentence.
		for len(e.Pointer) > 0 && p.pos > p.start && strings.IndexByte(".:!", p.text[p.pos-1]) >= 0 {
			last := &e.Pointer[len(e.Pointer)-1]
			if *last == "" {
				break
			}
			*last = (*last)[:len(*last)-1]
			p.pos--
		}
	}
	e.idx = indexes(e.Pointer)
	return nil
}

// pointerStop reports whether c ends a JSON Pointer in the current mode.
func (p *parser) pointerStop(c byte) bool {
	switch p.mode {
	case modeWhole:
		return p.v11 && (c == '{' || c == '}')
	case modeEmbedded:
		return c == '{' || c == '}'
	case modeOperand:
		return isBlank(c) || strings.IndexByte("!&()<=>|{}", c) >= 0 || (c == '[' && !p.opts.Strict)
	default:
		return isBlank(c) || strings.IndexByte("\"'<>,;(){}[]&?`", c) >= 0
	}
}

// dotPath reads the lenient ".a.b[0]" path after a body or name and appends
// it to the pointer.
func (p *parser) dotPath(e *Expr) error {
	pos := p.pos
	before := p.sofar()
	var toks []string
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		if c == '.' {
			i := p.pos + 1
			for i < len(p.text) && !p.pathStop(p.text[i]) {
				i++
			}
			if i == p.pos+1 {
				break // a trailing '.' is not part of the path
			}
			toks = append(toks, p.text[p.pos+1:i])
			p.pos = i
			continue
		}
		if c == '[' {
			i := p.pos + 1
			for i < len(p.text) && isDigit(p.text[i]) {
				i++
			}
			if i == p.pos+1 || i >= len(p.text) || p.text[i] != ']' {
				if p.mode == modeBare {
					break
				}
				return p.errorf(p.pos, "expected an array index like [0] after %s", p.sofar())
			}
			toks = append(toks, p.text[p.pos+1:i])
			p.pos = i + 1
			continue
		}
		break
	}
	if len(toks) == 0 {
		return nil
	}
	e.Pointer = append(e.Pointer, toks...)
	e.idx = indexes(e.Pointer)
	if p.opts.Strict {
		return p.errorf(pos, "unexpected %q after %s; use a JSON Pointer: %s", p.text[pos], before, e.String())
	}
	p.warn(pos, "dot-path", "%s is not a runtime expression; read as the JSON Pointer form %s", p.sofar(), e.String())
	return nil
}

func (p *parser) pathStop(c byte) bool {
	if c == '.' || c == '[' || c == '#' || c == '/' {
		return true
	}
	switch p.mode {
	case modeEmbedded:
		return c == '{' || c == '}'
	case modeWhole:
		return c == '{' || c == '}' || isBlank(c)
	default:
		return !isIdent(c)
	}
}

// identifier = 1*( ALPHA / DIGIT / "." / "-" / "_" ); a 1.0 document's
// whole-value names may use any CHAR (its grammar says name = *CHAR), up to
// a '#'.
func (p *parser) identifier() string {
	i := p.pos
	if !p.v11 && p.mode == modeWhole {
		for i < len(p.text) && p.text[i] != '#' && p.text[i] != '{' && p.text[i] != '}' {
			i++
		}
	} else {
		for i < len(p.text) && isIdent(p.text[i]) {
			i++
		}
	}
	if p.mode != modeWhole {
		// A name does not end with '.': in "Hello $inputs.name." and in
		// "$inputs.a.length" the dot belongs to what follows.
		for i > p.pos && p.text[i-1] == '.' {
			i--
		}
	}
	s := p.text[p.pos:i]
	p.pos = i
	return s
}

// identifier-strict = 1*( ALPHA / DIGIT / "-" / "_" )
func (p *parser) strictIdentifier() string {
	i := p.pos
	for i < len(p.text) && (isAlnum(p.text[i]) || p.text[i] == '-' || p.text[i] == '_') {
		i++
	}
	s := p.text[p.pos:i]
	p.pos = i
	return s
}

// token = 1*tchar (RFC 9110), narrowed where the surrounding text needs it.
func (p *parser) token() string {
	i := p.pos
	for i < len(p.text) {
		c := p.text[i]
		ok := isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		switch p.mode {
		case modeOperand:
			ok = ok && strings.IndexByte("!&|", c) < 0
		case modeBare:
			ok = isIdent(c)
		}
		if !ok {
			break
		}
		i++
	}
	if p.mode == modeBare {
		for i > p.pos && p.text[i-1] == '.' {
			i--
		}
	}
	s := p.text[p.pos:i]
	p.pos = i
	return s
}

// charName reads name = *( CHAR ): any character but '{' and '}', with JSON
// string escapes, ending where the surrounding text requires.
func (p *parser) charName() (string, error) {
	i := p.pos
	escaped := false
	for i < len(p.text) {
		c := p.text[i]
		if c == '{' || c == '}' {
			break
		}
		if p.mode == modeOperand && (isBlank(c) || strings.IndexByte("!&()<=>|", c) >= 0) {
			break
		}
		if p.mode == modeBare && !isIdent(c) {
			break
		}
		if c == '\\' {
			escaped = true
			i++
		}
		if c == '"' && p.mode == modeWhole {
			return "", p.errorf(i, "a '\"' in a name must be escaped as \\\"")
		}
		i++
	}
	if p.mode == modeBare {
		for i > p.pos && p.text[i-1] == '.' {
			i--
		}
	}
	raw := p.text[p.pos:min(i, len(p.text))]
	start := p.pos
	p.pos = min(i, len(p.text))
	if !escaped {
		return raw, nil
	}
	return p.unescape(raw, start)
}

// unescape decodes the JSON escapes of a name.
func (p *parser) unescape(raw string, at int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(raw) {
			return "", p.errorf(at+i, "unfinished escape '\\' in a name")
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			b.WriteByte(raw[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			var r rune
			if i+5 > len(raw) {
				return "", p.errorf(at+i-1, "\\u needs four hex digits")
			}
			for _, h := range raw[i+1 : i+5] {
				d := hexVal(byte(h))
				if d < 0 {
					return "", p.errorf(at+i-1, "\\u needs four hex digits")
				}
				r = r<<4 | rune(d)
			}
			b.WriteRune(r)
			i += 4
		default:
			return "", p.errorf(at+i-1, "unknown escape '\\%c' in a name; use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX", raw[i])
		}
	}
	return b.String(), nil
}

// dottedReadings returns the other readings of an expression whose name has
// dots: "$inputs.a.b.c" may also mean "$inputs.a.b#/c" and "$inputs.a#/b/c",
// tried in that order.
func dottedReadings(e *Expr) []*Expr {
	var alts []*Expr
	name := e.Name
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '.' {
			continue
		}
		head, tail := name[:i], strings.Split(name[i+1:], ".")
		if head == "" || strings.HasSuffix(head, ".") || contains(tail, "") {
			continue
		}
		a := &Expr{Ref: e.Ref, Text: e.Text, col: e.col}
		a.Name = head
		a.Pointer = append(tail, e.Pointer...)
		a.idx = indexes(a.Pointer)
		alts = append(alts, a)
	}
	return alts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String returns e in canonical form: the spec's syntax with a JSON Pointer
// (the portable spelling of a lenient form).
func (e *Expr) String() string {
	var b strings.Builder
	switch e.Kind {
	case KindRequestHeader, KindResponseHeader, KindMessageHeader:
		b.WriteString(e.Kind.String() + "." + e.Name)
	case KindRequestQuery, KindRequestPath, KindMessageQuery, KindMessagePath, KindInputs, KindOutputs:
		b.WriteString(e.Kind.String() + "." + e.Name)
	case KindStepOutputs:
		b.WriteString("$steps." + e.ID + ".outputs." + e.Name)
	case KindWorkflowInputs:
		b.WriteString("$workflows." + e.ID + ".inputs." + e.Name)
	case KindWorkflowOutputs:
		b.WriteString("$workflows." + e.ID + ".outputs." + e.Name)
	case KindSourceDescription, KindComponent:
		b.WriteString(e.Kind.String() + "." + e.ID + "." + e.Name)
	case KindRequestBody, KindResponseBody, KindMessagePayload:
		b.WriteString(e.Kind.String())
	default:
		b.WriteString(e.Kind.String())
	}
	if e.Pointer != nil {
		b.WriteByte('#')
		b.WriteString(formatPointer(e.Pointer))
	}
	return b.String()
}

// Alternatives returns the further readings of e that evaluation tries, in
// order, when e itself names nothing. In lenient mode "$inputs.a.b" names
// the input "a.b" (the 1.1 grammar allows dots in names) and, failing that,
// the input "a" with the pointer "/b". Validators use this to accept either.
func (e *Expr) Alternatives() []*Expr { return e.alts }

// Column is the 1-based column where e starts in the text it was parsed
// from (a template or a condition).
func (e *Expr) Column() int { return e.col }

func column(text string, pos int) int {
	if pos > len(text) {
		pos = len(text)
	}
	return utf8.RuneCountInString(text[:pos]) + 1
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c)
}
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isIdent(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' }
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
