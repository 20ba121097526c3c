package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
	"github.com/ohler55/ojg/jp"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/expression"
)

// copied is told of every object a replacement copies (cp from orig), so
// that the copy keeps orig's member order; it may be nil.
type copied func(orig, cp map[string]any)

// applyReplacement sets val at rp.target inside payload and returns the new
// payload. Payload values may share constant sub-trees with the compiled
// document, so the path to the target is copied, never written in place.
func applyReplacement(payload any, rp creplacement, val any, keep copied) (any, error) {
	switch rp.typ {
	case arazzo.SelectorJSONPtr, "":
		return setPointer(payload, rp.target, val, keep)
	case arazzo.CriterionJSONPath:
		x, err := jp.ParseString(rp.target)
		if err != nil {
			return nil, fmt.Errorf("replacement target %q is not a JSONPath: %w", rp.target, err)
		}
		cp := deepCopy(payload, keep)
		if err := x.Set(cp, val); err != nil {
			return nil, fmt.Errorf("replacement target %q: %w", rp.target, err)
		}
		return cp, nil
	case arazzo.CriterionXPath:
		return setXPath(payload, rp.target, val)
	}
	return nil, fmt.Errorf("replacement target type %q is not supported (use jsonpointer, jsonpath or xpath)", rp.typ)
}

// setPointer sets val at the RFC 6901 pointer ptr, creating missing
// objects on the way; "-" appends to an array.
func setPointer(doc any, ptr string, val any, keep copied) (any, error) {
	ptr = strings.TrimPrefix(ptr, "#")
	if ptr == "" {
		return val, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("replacement target %q is not a JSON Pointer (it must start with /)", ptr)
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return setTokens(doc, toks, val, ptr, keep)
}

func setTokens(cur any, toks []string, val any, ptr string, keep copied) (any, error) {
	if len(toks) == 0 {
		return val, nil
	}
	tok := toks[0]
	switch c := cur.(type) {
	case nil:
		child, err := setTokens(nil, toks[1:], val, ptr, keep)
		if err != nil {
			return nil, err
		}
		return map[string]any{tok: child}, nil
	case map[string]any:
		out := make(map[string]any, len(c)+1)
		for k, v := range c {
			out[k] = v
		}
		child, err := setTokens(c[tok], toks[1:], val, ptr, keep)
		if err != nil {
			return nil, err
		}
		out[tok] = child
		if keep != nil {
			keep(c, out)
		}
		return out, nil
	case []any:
		out := append([]any(nil), c...)
		if tok == "-" {
			child, err := setTokens(nil, toks[1:], val, ptr, keep)
			if err != nil {
				return nil, err
			}
			return append(out, child), nil
		}
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i > len(c) {
			return nil, fmt.Errorf("replacement target %q: %q is not an index of an array of %d items", ptr, tok, len(c))
		}
		if i == len(c) {
			out = append(out, nil)
		}
		child, err := setTokens(out[i], toks[1:], val, ptr, keep)
		if err != nil {
			return nil, err
		}
		out[i] = child
		return out, nil
	}
	return nil, fmt.Errorf("replacement target %q: cannot descend into a %T at %q", ptr, cur, tok)
}

func deepCopy(v any, keep copied) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e, keep)
		}
		if keep != nil {
			keep(t, out)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e, keep)
		}
		return out
	}
	return v
}

// setXPath replaces the text of every node the XPath selects in an XML
// payload (a string or bytes).
func setXPath(payload any, target string, val any) (any, error) {
	var text string
	switch p := payload.(type) {
	case string:
		text = p
	case []byte:
		text = string(p)
	default:
		return nil, fmt.Errorf("replacement target %q is an XPath, but the payload is not XML text", target)
	}
	doc, err := xmlquery.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("payload is not well-formed XML: %w", err)
	}
	nodes, err := xmlquery.QueryAll(doc, target)
	if err != nil {
		return nil, fmt.Errorf("replacement target %q is not a valid XPath: %w", target, err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("replacement target %q selects nothing in the payload", target)
	}
	s := expression.Stringify(val)
	for _, n := range nodes {
		switch n.Type {
		case xmlquery.AttributeNode:
			setAttrValue(n, s)
		default:
			n.FirstChild, n.LastChild = nil, nil
			xmlquery.AddChild(n, &xmlquery.Node{Type: xmlquery.TextNode, Data: s})
		}
	}
	return doc.OutputXML(false), nil
}

// setAttrValue sets an attribute node's value in its parent element.
func setAttrValue(n *xmlquery.Node, v string) {
	if n.Parent == nil {
		return
	}
	for i := range n.Parent.Attr {
		if n.Parent.Attr[i].Name.Local == n.Data {
			n.Parent.Attr[i].Value = v
		}
	}
}
