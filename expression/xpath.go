package expression

import (
	"fmt"
	"math"
	"strings"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
)

// XPath criteria and selectors run on github.com/antchfx/xpath over
// github.com/antchfx/xmlquery documents: XPath 1.0 plus part of the 2.0
// function library. Versions xpath-10, -20, -30 and -31 are accepted; a
// function the library lacks is reported when the criterion is compiled.

// XPath versions of the Expression Type Object.
var xpathVersions = map[string]bool{"": true, "xpath-10": true, "xpath-20": true, "xpath-30": true, "xpath-31": true}

// compileXPath checks an XPath expression. The compiled form is not kept:
// antchfx/xpath expressions hold iteration state and are not safe for
// concurrent use, so each evaluation compiles its own.
func compileXPath(text string) (*xpath.Expr, error) {
	x, err := safeXPathCompile(text)
	if err == nil {
		return x, nil
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "not yet support this function "); ok {
		msg = "XPath function " + name + " is not available in this engine (XPath 1.0 and part of 2.0, on antchfx/xpath); rewrite it with XPath 1.0 functions"
	} else {
		msg = "invalid XPath: " + msg
	}
	return nil, &SyntaxError{Input: text, Column: 1, Msg: msg}
}

func safeXPathCompile(text string) (x *xpath.Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, err = nil, fmt.Errorf("%v", r)
		}
	}()
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	return xpath.Compile(text)
}

// xmlDocument parses an XML context value.
func xmlDocument(v any) (*xmlquery.Node, error) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case []byte:
		s = string(t)
	case map[string]any:
		return nil, fmt.Errorf("xpath needs an XML document, but the context is a JSON object")
	case []any:
		return nil, fmt.Errorf("xpath needs an XML document, but the context is a JSON array")
	default:
		return nil, fmt.Errorf("xpath needs an XML document, but the context is %s", Stringify(v))
	}
	if !strings.HasPrefix(strings.TrimSpace(s), "<") {
		return nil, fmt.Errorf("xpath needs an XML document, but the context does not start with '<'")
	}
	doc, err := xmlquery.Parse(strings.NewReader(s))
	if err != nil {
		return nil, fmt.Errorf("the context is not well-formed XML: %v", err)
	}
	return doc, nil
}

// xpathResult is the value of an XPath expression: a bool, a float64, a
// string, or the string values of a node-set.
type xpathResult struct {
	v     any
	nodes []string
	isSet bool
}

// evalXPath compiles and evaluates text on doc.
func evalXPath(text string, doc *xmlquery.Node) (res xpathResult, err error) {
	x, err := compileXPath(text)
	if err != nil {
		return res, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("XPath %s failed: %v", text, r)
		}
	}()
	switch v := x.Evaluate(xmlquery.CreateXPathNavigator(doc)).(type) {
	case *xpath.NodeIterator:
		res.isSet = true
		for v.MoveNext() {
			res.nodes = append(res.nodes, v.Current().Value())
		}
	default:
		res.v = v
	}
	return res, nil
}

// ebv is the effective boolean value (XPath 1.0 section 4.2; for the
// results this engine produces, 2.0-3.1 agree).
func (r xpathResult) ebv() bool {
	if r.isSet {
		return len(r.nodes) > 0
	}
	switch v := r.v.(type) {
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return r.v != nil
}

func (r xpathResult) describe() string {
	if r.isSet {
		switch len(r.nodes) {
		case 0:
			return "selected no nodes"
		case 1:
			return "selected 1 node (" + quote(shorten(r.nodes[0])) + ")"
		}
		return fmt.Sprintf("selected %d nodes", len(r.nodes))
	}
	var b strings.Builder
	b.WriteString("= ")
	writeValue(&b, r.v)
	return b.String()
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
