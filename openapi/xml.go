package openapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// XMLShape is how a schema maps a value to XML, from the schema's OpenAPI
// XML Object (name, prefix, namespace, attribute, wrapped; 3.2 nodeType)
// and its properties and items.
type XMLShape struct {
	// Name replaces the element or attribute name (for the root: the
	// schema's component name when it has no xml.name).
	Name      string
	Prefix    string
	Namespace string
	// NodeType is element, attribute, text, cdata or none (OpenAPI 3.2;
	// attribute: true and wrapped: true of 3.0/3.1 map to attribute and
	// element). "" means the default: element, or none for arrays.
	NodeType string
	// Properties holds the members of an object schema (allOf merged).
	Properties map[string]*XMLShape
	// Items is the shape of an array's items.
	Items *XMLShape

	// refName is the component name of a referenced schema: the root
	// element's name when the schema has no xml.name.
	refName string
}

// Node types of the OpenAPI 3.2 XML Object.
const (
	xmlElement   = "element"
	xmlAttribute = "attribute"
	xmlText      = "text"
	xmlCDATA     = "cdata"
	xmlNone      = "none"
)

// maxXMLSchemaDepth bounds how deep a schema is followed to build a shape;
// recursive schemas end there (deeper values use the defaults).
const maxXMLSchemaDepth = 32

// xmlShapeOf builds the XML shape of the schema n (found in the document at
// loc). Shapes are memoised per schema node, which also ends recursion.
func (l *loader) xmlShapeOf(n *yaml.Node, loc string, depth int, memo map[*yaml.Node]*XMLShape) *XMLShape {
	if n == nil || depth > maxXMLSchemaDepth {
		return nil
	}
	refName := ""
	if ref := scalar(mapGet(n, "$ref")); ref != "" {
		refName = ref[strings.LastIndexByte(ref, '/')+1:]
	}
	s, sloc := l.resolve(n, loc)
	if s == nil || s.Kind != yaml.MappingNode {
		return nil
	}
	if sh, ok := memo[s]; ok {
		return sh
	}
	sh := &XMLShape{}
	memo[s] = sh
	if x, _ := l.resolve(mapGet(s, "xml"), sloc); x != nil {
		sh.Name = scalar(mapGet(x, "name"))
		sh.Prefix = scalar(mapGet(x, "prefix"))
		sh.Namespace = scalar(mapGet(x, "namespace"))
		sh.NodeType = scalar(mapGet(x, "nodeType"))
		if sh.NodeType == "" {
			if a, _ := boolOf(mapGet(x, "attribute")); a {
				sh.NodeType = xmlAttribute
			} else if w, _ := boolOf(mapGet(x, "wrapped")); w {
				sh.NodeType = xmlElement
			}
		}
	}
	sh.refName = refName
	eachPair(mapGet(s, "properties"), func(name string, p *yaml.Node) {
		if sh.Properties == nil {
			sh.Properties = map[string]*XMLShape{}
		}
		sh.Properties[name] = l.xmlShapeOf(p, sloc, depth+1, memo)
	})
	for _, sub := range items(mapGet(s, "allOf")) {
		part := l.xmlShapeOf(sub, sloc, depth+1, memo)
		if part == nil {
			continue
		}
		for name, p := range part.Properties {
			if sh.Properties == nil {
				sh.Properties = map[string]*XMLShape{}
			}
			if _, own := sh.Properties[name]; !own {
				sh.Properties[name] = p
			}
		}
	}
	if it := mapGet(s, "items"); it != nil {
		sh.Items = l.xmlShapeOf(it, sloc, depth+1, memo)
	}
	return sh
}

// xmlShape returns the XML shape of the body's schema for content type ct,
// or nil.
func (rb *RequestBody) xmlShape(ct string) *XMLShape {
	if rb == nil || rb.XML == nil {
		return nil
	}
	if sh, ok := rb.XML[ct]; ok {
		return sh
	}
	return rb.XML[mediaType(ct)]
}

// appendXMLDocument appends v as an XML document: a declaration and one
// root element. Objects become child elements (or attributes), arrays
// repeated elements, as shape says; without a shape, members become
// elements named after them and the root is <root>.
func appendXMLDocument(buf []byte, v any, shape *XMLShape, ord keyorder.Lookup) ([]byte, error) {
	name := "root"
	if shape != nil {
		switch {
		case shape.Name != "":
			name = shape.Name
		case shape.refName != "":
			name = shape.refName
		}
	}
	w := xmlWriter{buf: append(buf, `<?xml version="1.0" encoding="UTF-8"?>`...), ord: ord}
	root := shape
	if sh, _, _ := explore(v, nil); sh == shapeArray && (shape == nil || shape.NodeType != xmlElement) {
		// An unwrapped array would make several roots: wrap it.
		c := XMLShape{NodeType: xmlElement}
		if shape != nil {
			c = *shape
			c.NodeType = xmlElement
		}
		root = &c
	}
	if err := w.element(name, v, root, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

type xmlWriter struct {
	buf []byte
	ord keyorder.Lookup
}

// maxXMLNest bounds the nesting of the written document.
const maxXMLNest = 256

// element writes v as the element name (shape may be nil).
func (w *xmlWriter) element(name string, v any, shape *XMLShape, depth int) error {
	if depth > maxXMLNest {
		return errors.New("value nested too deeply for XML (a cycle?)")
	}
	qname, err := qualify(name, shape)
	if err != nil {
		return err
	}
	kind, arr, members := explore(v, w.ord)
	if kind == shapeArray {
		itemShape := (*XMLShape)(nil)
		if shape != nil {
			itemShape = shape.Items
		}
		itemName := name
		switch {
		case itemShape == nil:
		case itemShape.Name != "":
			itemName = itemShape.Name
		case depth == 0 && itemShape.refName != "":
			itemName = itemShape.refName // <Pets><Pet/>…</Pets>
		}
		wrapped := shape != nil && shape.NodeType == xmlElement
		if wrapped {
			w.open(qname, shape)
			w.buf = append(w.buf, '>')
		}
		for i, item := range arr {
			if err := w.element(itemName, item, itemShape, depth+1); err != nil {
				return fmt.Errorf("%s[%d]: %w", name, i, err)
			}
		}
		if wrapped {
			w.close(qname)
		}
		return nil
	}
	w.open(qname, shape)
	if kind == shapeScalar {
		if v == nil {
			w.buf = append(w.buf, "/>"...)
			return nil
		}
		w.buf = append(w.buf, '>')
		if err := w.text(scalarText(v), false); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		w.close(qname)
		return nil
	}
	// An object: attributes first, then text, then child elements.
	var props map[string]*XMLShape
	if shape != nil {
		props = shape.Properties
	}
	for _, m := range members {
		ps := props[m.k]
		if ps == nil || ps.NodeType != xmlAttribute {
			continue
		}
		an, err := qualify(propName(m.k, ps), ps)
		if err != nil {
			return err
		}
		if s, _, _ := explore(m.v, nil); s != shapeScalar {
			return fmt.Errorf("%s: member %q is an XML attribute, so its value must be a string, number or boolean, not %s", name, m.k, describe(m.v))
		}
		if ps.Namespace != "" && ps.Prefix != "" {
			w.buf = append(w.buf, ` xmlns:`...)
			w.buf = append(w.buf, ps.Prefix...)
			w.buf = append(w.buf, `="`...)
			w.buf = appendXMLEscaped(w.buf, ps.Namespace, true)
			w.buf = append(w.buf, '"')
		}
		w.buf = append(w.buf, ' ')
		w.buf = append(w.buf, an...)
		w.buf = append(w.buf, `="`...)
		if err := w.text(scalarText(m.v), true); err != nil {
			return fmt.Errorf("%s: attribute %q: %w", name, m.k, err)
		}
		w.buf = append(w.buf, '"')
	}
	w.buf = append(w.buf, '>')
	if err := w.children(name, members, props, depth); err != nil {
		return err
	}
	w.close(qname)
	return nil
}

// children writes an object's members that are not attributes.
func (w *xmlWriter) children(name string, members []kv, props map[string]*XMLShape, depth int) error {
	for _, m := range members {
		ps := props[m.k]
		switch {
		case ps != nil && ps.NodeType == xmlAttribute:
			continue
		case ps != nil && (ps.NodeType == xmlText || ps.NodeType == xmlCDATA):
			if s, _, _ := explore(m.v, nil); s != shapeScalar {
				return fmt.Errorf("%s: member %q is XML text, so its value must be a string, number or boolean, not %s", name, m.k, describe(m.v))
			}
			if m.v == nil {
				continue
			}
			if ps.NodeType == xmlCDATA {
				w.cdata(scalarText(m.v))
			} else if err := w.text(scalarText(m.v), false); err != nil {
				return fmt.Errorf("%s: member %q: %w", name, m.k, err)
			}
			continue
		case ps != nil && ps.NodeType == xmlNone:
			if kind, _, sub := explore(m.v, w.ord); kind == shapeObject {
				if err := w.children(name, sub, ps.Properties, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if err := w.element(propName(m.k, ps), m.v, ps, depth+1); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// propName is the element or attribute name of the member named k.
func propName(k string, ps *XMLShape) string {
	if ps == nil || ps.Name == "" {
		return k
	}
	if ps.Items != nil && ps.NodeType != xmlElement {
		return k // an unwrapped array ignores its xml.name (OpenAPI 3.1)
	}
	return ps.Name
}

// open writes "<qname" and the namespace declaration of shape.
func (w *xmlWriter) open(qname string, shape *XMLShape) {
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, qname...)
	if shape != nil && shape.Namespace != "" {
		if shape.Prefix != "" {
			w.buf = append(w.buf, " xmlns:"...)
			w.buf = append(w.buf, shape.Prefix...)
		} else {
			w.buf = append(w.buf, " xmlns"...)
		}
		w.buf = append(w.buf, `="`...)
		w.buf = appendXMLEscaped(w.buf, shape.Namespace, true)
		w.buf = append(w.buf, '"')
	}
}

func (w *xmlWriter) close(qname string) {
	w.buf = append(w.buf, "</"...)
	w.buf = append(w.buf, qname...)
	w.buf = append(w.buf, '>')
}

func (w *xmlWriter) text(s string, attr bool) error {
	if i := invalidXMLChar(s); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("the character %U at byte %d cannot appear in XML", r, i)
	}
	w.buf = appendXMLEscaped(w.buf, s, attr)
	return nil
}

// cdata writes s as CDATA sections ("]]>" split across two sections).
func (w *xmlWriter) cdata(s string) {
	w.buf = append(w.buf, "<![CDATA["...)
	w.buf = append(w.buf, strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>")...)
	w.buf = append(w.buf, "]]>"...)
}

// qualify returns the element or attribute name with its prefix, and
// refuses names XML cannot hold.
func qualify(name string, shape *XMLShape) (string, error) {
	if !isXMLName(name) {
		return "", fmt.Errorf("%q is not a valid XML name; give the schema property an xml.name", name)
	}
	if shape != nil && shape.Prefix != "" {
		if !isXMLName(shape.Prefix) {
			return "", fmt.Errorf("xml.prefix %q is not a valid XML name", shape.Prefix)
		}
		return shape.Prefix + ":" + name, nil
	}
	return name, nil
}

// isXMLName reports whether s is an XML name without a colon (an NCName):
// a letter or '_', then letters, digits, '-', '.' or '_'. A name with
// characters outside ASCII is checked by encoding/xml, whose name tables
// are those of XML 1.0's first editions: stricter than the fifth edition
// (which admits most letters Unicode added since), so every receiver
// parses what is sent.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return isXMLNameByDecoder(s)
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		case i > 0 && (c == '-' || c == '.' || c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return true
}

func isXMLNameByDecoder(s string) bool {
	if !utf8.ValidString(s) || strings.ContainsAny(s, ":<>/=\"'& \t\r\n") {
		return false
	}
	tok, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).Token()
	if err != nil {
		return false
	}
	start, ok := tok.(xml.StartElement)
	return ok && start.Name.Space == "" && start.Name.Local == s
}

// invalidXMLChar returns the byte index of the first character XML 1.0
// cannot hold, or -1.
func invalidXMLChar(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError && size == 1:
			return i
		}
		i += size
	}
	return -1
}

func appendXMLEscaped(buf []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			buf = append(buf, "&amp;"...)
		case '<':
			buf = append(buf, "&lt;"...)
		case '>':
			buf = append(buf, "&gt;"...)
		case '"':
			if attr {
				buf = append(buf, "&quot;"...)
			} else {
				buf = append(buf, c)
			}
		case '\n', '\r', '\t':
			if attr {
				buf = fmt.Appendf(buf, "&#x%X;", c)
			} else {
				buf = append(buf, c)
			}
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// scalarText is the text of a scalar value in XML: strings as they are,
// numbers and booleans as in JSON.
func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendScalar(nil, v, escNone))
}
