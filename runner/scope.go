package runner

import (
	"bytes"
	"mime"
	"strings"

	"github.com/ohler55/ojg/oj"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/expression"
	"github.com/go-arazzo/arazzo/openapi"
)

// scope is the expression.Context of one step attempt: the workflow's
// inputs and earlier outputs, plus this attempt's request and response.
// Response bodies are decoded on first use only.
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
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case isJSONMediaType(mt) || mt == "" && looksLikeJSON(data):
		if v, err := oj.Parse(data); err == nil {
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
