package runner

import (
	"bytes"
	"mime"
	"slices"
	"strings"

	"github.com/ohler55/ojg/oj"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/internal/jsonptr"
	"github.com/go-arazzo/arazzo/openapi"
)

// scope is the expression.Context of one step attempt: the workflow's
// inputs and earlier outputs, plus this attempt's request and response.
// Response bodies are decoded on first use only, and `$response.body#/…`
// on a JSON body reads the raw bytes without decoding the whole body
// (ResolvePointer).
type scope struct {
	run    *workflowRun
	req    *Request
	params []openapi.ParamValue
	// reqBody is the evaluated payload (before encoding).
	reqBody    any
	hasReqBody bool
	resp       *Response
	body       any
	bodyDone   bool
	// lazy caches whether pointers into the response body are resolved on
	// its raw bytes (lazyYes, lazyUnique when its objects have no
	// duplicate member names) or on the decoded body (lazyNo);
	// lazyUnknown until the first pointer asks.
	lazy uint8
	// found holds the pointers resolved on the raw bytes so far (up to
	// len(found)), so that a field read by several criteria and an output,
	// like a poll step's status, is found and decoded once per response.
	found  [4]resolved
	nfound int
	// nested holds a workflowId step's sub-workflow outputs: `$outputs.x`
	// inside that step reads them.
	nested map[string]any
	// outputs holds the workflow outputs computed so far, while the
	// workflow's own outputs are being evaluated.
	outputs map[string]any
}

// Value implements expression.Context.
func (s *scope) Value(ref expression.Ref) (any, bool) {
	switch ref.Kind {
	case expression.KindURL:
		if s.req == nil {
			return nil, false
		}
		return s.req.URL, true
	case expression.KindMethod:
		if s.req == nil {
			return nil, false
		}
		return s.req.Method, true
	case expression.KindStatusCode:
		if s.resp == nil {
			return nil, false
		}
		return int64(s.resp.StatusCode), true
	case expression.KindRequestHeader:
		if s.req == nil {
			return nil, false
		}
		return headerValue(s.req.Header, ref.Name)
	case expression.KindRequestQuery:
		return s.param(arazzo.InQuery, ref.Name)
	case expression.KindRequestPath:
		return s.param(arazzo.InPath, ref.Name)
	case expression.KindRequestBody:
		return s.reqBody, s.hasReqBody
	case expression.KindResponseHeader:
		if s.resp == nil {
			return nil, false
		}
		return headerValue(s.resp.Header, ref.Name)
	case expression.KindResponseBody:
		if s.resp == nil {
			return nil, false
		}
		return s.responseBody(), true
	case expression.KindInputs:
		v, ok := s.run.inputs[ref.Name]
		return v, ok
	case expression.KindOutputs:
		if s.nested != nil {
			v, ok := s.nested[ref.Name]
			return v, ok
		}
		v, ok := s.outputs[ref.Name]
		return v, ok
	case expression.KindStepOutputs:
		outs, ok := s.run.stepOutputs[ref.ID]
		if !ok {
			return nil, false
		}
		v, ok := outs[ref.Name]
		return v, ok
	case expression.KindWorkflowInputs, expression.KindWorkflowOutputs:
		res := s.run.sess.finishedWorkflow(s.run.wf.bundleKey, ref.ID)
		if res == nil {
			return nil, false
		}
		m := res.Outputs
		if ref.Kind == expression.KindWorkflowInputs {
			m = res.Inputs
		}
		v, ok := m[ref.Name]
		return v, ok
	case expression.KindSourceDescription:
		if v, ok, handled := s.externalWorkflowValue(ref.ID, ref.Name); handled {
			return v, ok
		}
		return sourceValue(s.run.wf.bundle.Sources, ref.ID, ref.Name)
	case expression.KindComponent:
		return s.run.wf.plan.componentValue(ref.ID, ref.Name)
	case expression.KindSelf:
		return s.run.wf.plan.self, s.run.wf.plan.self != ""
	}
	return nil, false
}

// resolved is a pointer into the response body and what it reached.
type resolved struct {
	toks []string
	v    any
	ok   bool
}

const (
	lazyUnknown uint8 = iota
	lazyYes
	lazyUnique
	lazyNo
)

// ResolvePointer implements expression.PointerResolver. A JSON Pointer into
// a JSON response body is found in the raw bytes (internal/jsonptr) and
// only the value it reaches is decoded, with the decoder decodeBody uses:
// a poll step reads a few fields of every response, and decoding each body
// whole into maps was most of a poll attempt's allocations. The answer is
// the one the decoded body would give; whenever that cannot be guaranteed
// cheaply (the body was decoded already, is not JSON, is JSON jsonptr.Valid
// refuses, or the pointer goes on inside a string) it declines and the
// expression walks the decoded body.
func (s *scope) ResolvePointer(ref expression.Ref, toks []string) (any, bool, bool) {
	if ref.Kind != expression.KindResponseBody || s.resp == nil || s.bodyDone {
		return nil, false, false
	}
	if s.lazy == lazyUnknown {
		s.lazy = lazyNo
		if data := s.resp.Body; isJSONBody(s.resp.Header.Get("Content-Type"), data) {
			if valid, unique := jsonptr.Check(data); unique {
				s.lazy = lazyUnique
			} else if valid {
				s.lazy = lazyYes
			}
		}
	}
	if s.lazy == lazyNo {
		return nil, false, false
	}
	for _, r := range s.found[:s.nfound] {
		if slices.Equal(r.toks, toks) {
			return r.v, r.ok, true
		}
	}
	v, ok, handled := findRaw(s.resp.Body, toks, s.lazy == lazyUnique)
	if handled && s.nfound < len(s.found) {
		s.found[s.nfound] = resolved{toks: toks, v: v, ok: ok}
		s.nfound++
	}
	return v, ok, handled
}

// findRaw resolves a pointer on a jsonptr.Valid JSON body for
// ResolvePointer; unique is jsonptr.Check's verdict on its member names.
func findRaw(body []byte, toks []string, unique bool) (v any, found, handled bool) {
	find := jsonptr.Find
	if unique {
		find = jsonptr.FindFirst
	}
	raw, rest, ok := find(body, toks)
	switch {
	case !ok:
		return nil, false, true
	case len(rest) > 0 && raw[0] == '"':
		// The expression walk decodes a string that holds JSON text and
		// goes on inside it; leave that to the walk.
		return nil, false, false
	case len(rest) > 0:
		// A number, boolean or null has nothing inside.
		return nil, false, true
	}
	// The common scalars directly, as ojg decodes them; anything else
	// (escaped strings, floats, large numbers, objects, arrays) by ojg.
	switch raw[0] {
	case '"':
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1]), true, true
		}
	case 't':
		return true, true, true
	case 'f':
		return false, true, true
	case 'n':
		return nil, true, true
	default:
		if n, ok := smallInt(raw); ok {
			return n, true, true
		}
	}
	v, err := decodeJSON(raw)
	if err != nil {
		// Not reached for a Valid body; the decoded body answers.
		return nil, false, false
	}
	return v, true, true
}

func (s *scope) param(in, name string) (any, bool) {
	for _, p := range s.params {
		if p.In == in && p.Name == name {
			return p.Value, true
		}
	}
	return nil, false
}

// headerValue returns the first value of a header, matching the name
// case-insensitively (RFC 9110).
func headerValue(h map[string][]string, name string) (any, bool) {
	if vs, ok := h[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0], true
		}
	}
	return nil, false
}

// responseBody decodes the response body once: JSON (by media type, or by
// shape when the server sent none) to generic values, text and XML to a
// string, anything else stays bytes.
func (s *scope) responseBody() any {
	if !s.bodyDone {
		s.bodyDone = true
		s.body = decodeBody(s.resp.Header.Get("Content-Type"), s.resp.Body)
	}
	return s.body
}

func decodeBody(contentType string, data []byte) any {
	if len(data) == 0 {
		return nil
	}
	mt := bodyMediaType(contentType)
	switch {
	case isJSONMediaType(mt) || mt == "" && looksLikeJSON(data):
		if v, err := decodeJSON(data); err == nil {
			return v
		}
		// Invalid JSON under a JSON media type: keep the text so that
		// criteria and reports can still show it.
		return string(data)
	case strings.HasPrefix(mt, "text/") || isXMLMediaType(mt) || mt == "application/x-www-form-urlencoded":
		return string(data)
	case mt == "":
		return string(data)
	}
	return data
}

// smallInt decodes a JSON integer of at most 18 digits, which ojg decodes
// to an int64 (longer ones may become json.Number).
func smallInt(raw []byte) (int64, bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if raw[0] == '-' {
		n = -n
	}
	return n, true
}

// isJSONBody reports whether decodeBody decodes data as JSON: a JSON media
// type, or none and a body that starts like an object or array.
func isJSONBody(contentType string, data []byte) bool {
	if len(data) == 0 {
		return false
	}
	mt := bodyMediaType(contentType)
	return isJSONMediaType(mt) || mt == "" && looksLikeJSON(data)
}

// bodyMediaType is the lower-cased media type of a Content-Type value,
// without parameters; cheaper than mediaType, and lenient with values
// mime.ParseMediaType would refuse.
func bodyMediaType(contentType string) string {
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// decodeJSON decodes JSON into generic values (int64 for integers that fit,
// float64, json.Number for larger numbers): the one decoder for response
// bodies, whole or reached by a pointer.
func decodeJSON(data []byte) (any, error) { return oj.Parse(data) }

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

func isXMLMediaType(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// mediaType returns the lower-cased media type of a Content-Type value.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(ct))
}
