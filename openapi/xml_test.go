package openapi

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
)

// petXMLDescription exercises the OpenAPI XML Object: a root named by its
// component, renamed properties, attributes with and without a namespace,
// a wrapped and an unwrapped array, a 3.2 text node, allOf and recursion.
const petXMLDescription = `
openapi: 3.1.0
info: {title: pets, version: "1"}
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        content:
          application/xml:
            schema: {$ref: '#/components/schemas/Pet'}
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses: {"200": {description: ok}}
  /books:
    post:
      operationId: addBook
      requestBody:
        content:
          text/xml:
            schema:
              type: object
              xml: {name: book, prefix: bk, namespace: "https://example.com/books"}
              properties:
                isbn: {type: string, xml: {attribute: true}}
                lang: {type: string, xml: {attribute: true, prefix: xl, namespace: "https://example.com/lang"}}
                title: {type: string, xml: {nodeType: text}}
      responses: {"200": {description: ok}}
  /pets/bulk:
    post:
      operationId: addPets
      requestBody:
        content:
          application/xml:
            schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Named:
      type: object
      properties:
        name: {type: string, xml: {name: Name}}
    Pet:
      xml: {}
      allOf:
        - $ref: '#/components/schemas/Named'
      type: object
      properties:
        id: {type: integer, xml: {attribute: true}}
        photoUrls:
          type: array
          xml: {name: photos, wrapped: true}
          items: {type: string, xml: {name: photo}}
        tags:
          type: array
          xml: {name: ignored}
          items: {type: string, xml: {name: tag}}
        parent: {$ref: '#/components/schemas/Pet'}
`

func loadXMLDescription(t *testing.T) *Document {
	t.Helper()
	doc, err := Load(context.Background(), []byte(petXMLDescription), "pets.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestXMLBodyFollowsTheSchema(t *testing.T) {
	doc := loadXMLDescription(t)
	pet := map[string]any{
		"id":        1.0,
		"name":      "Rex & Co",
		"photoUrls": []any{"a.png", "b.png"},
		"tags":      []any{"good", "dog"},
		"parent":    map[string]any{"id": 2.0, "name": "Max"},
	}
	order := func(m map[string]any) []string {
		if _, ok := m["photoUrls"]; ok {
			return []string{"name", "id", "tags", "photoUrls", "parent"}
		}
		return nil
	}
	p, err := BuildRequest(doc.OperationByID("addPet"), "http://h", nil, &Body{ContentType: "application/xml", Value: pet, Order: order})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<Pet id="1"><Name>Rex &amp; Co</Name><tag>good</tag><tag>dog</tag>` +
		`<photos><photo>a.png</photo><photo>b.png</photo></photos>` +
		`<parent id="2"><Name>Max</Name></parent></Pet>`
	if string(p.Body) != want {
		t.Errorf("body:\n got %s\nwant %s", p.Body, want)
	}
	if ct := p.Header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type = %q", ct)
	}
	assertWellFormed(t, p.Body)
}

func TestXMLBodyNamespacesAttributesText(t *testing.T) {
	doc := loadXMLDescription(t)
	book := map[string]any{"isbn": "978-0", "lang": "en", "title": `"Go" <1>`}
	p, err := BuildRequest(doc.OperationByID("addBook"), "http://h", nil, &Body{Value: book})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<bk:book xmlns:bk="https://example.com/books" isbn="978-0" xmlns:xl="https://example.com/lang" xl:lang="en">"Go" &lt;1&gt;</bk:book>`
	if string(p.Body) != want {
		t.Errorf("body:\n got %s\nwant %s", p.Body, want)
	}
	assertWellFormed(t, p.Body)
}

func TestXMLBodyRootArrayIsWrapped(t *testing.T) {
	doc := loadXMLDescription(t)
	p, err := BuildRequest(doc.OperationByID("addPets"), "http://h", nil, &Body{Value: []any{
		map[string]any{"id": 1.0}, map[string]any{"id": 2.0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><root><Pet id="1"></Pet><Pet id="2"></Pet></root>`
	if string(p.Body) != want {
		t.Errorf("body:\n got %s\nwant %s", p.Body, want)
	}
}

func TestXMLBodyWithoutSchema(t *testing.T) {
	b, ct, err := EncodeBody("application/xml", map[string]any{
		"name": "water", "ingredients": map[string]any{"id": 1.0, "name": "water"}, "none": nil, "list": []any{1.0, true},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><root><ingredients><id>1</id><name>water</name></ingredients><list>1</list><list>true</list><name>water</name><none/></root>`
	if string(b) != want || ct != "application/xml" {
		t.Errorf("got %s (%s)\nwant %s", b, ct, want)
	}
	// A string is the document itself.
	b, _, err = EncodeBody("application/xml", "<a/>", nil)
	if err != nil || string(b) != "<a/>" {
		t.Errorf("string payload: %q %v", b, err)
	}
}

func TestXMLBodyErrors(t *testing.T) {
	doc := loadXMLDescription(t)
	for name, c := range map[string]struct {
		op   string
		v    any
		want string
	}{
		"bad element name":      {"addPet", map[string]any{"a b": 1.0}, `"a b" is not a valid XML name`},
		"object attribute":      {"addPet", map[string]any{"id": map[string]any{"x": 1.0}}, `member "id" is an XML attribute`},
		"control character":     {"addPet", map[string]any{"name": "a\x01b"}, "cannot appear in XML"},
		"array as text":         {"addBook", map[string]any{"title": []any{"x"}}, `member "title" is XML text`},
		"invalid UTF-8 in text": {"addPet", map[string]any{"name": "a\xffb"}, "cannot appear in XML"},
	} {
		_, err := BuildRequest(doc.OperationByID(c.op), "http://h", nil, &Body{ContentType: bodyCT(c.op), Value: c.v})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func bodyCT(op string) string {
	if op == "addBook" {
		return "text/xml"
	}
	return "application/xml"
}

func assertWellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("not well-formed XML: %v\n%s", err, b)
			}
			return
		}
	}
}

func TestMemberOrderInParametersAndBodies(t *testing.T) {
	color := map[string]any{"R": 100.0, "G": 200.0, "B": 150.0}
	ord := func(m map[string]any) []string {
		if len(m) == 3 {
			return []string{"R", "G", "B"}
		}
		return nil
	}
	op := &Operation{Method: "POST", Path: "/c/{color}", Parameters: []*Parameter{
		{Name: "color", In: "path", Style: "simple"},
		{Name: "q", In: "query", Style: "form", Explode: true},
		{Name: "d", In: "query", Style: "deepObject", Explode: true},
		{Name: "X-C", In: "header", Style: "simple", Explode: true},
	}}
	params := []ParamValue{
		{Name: "color", In: "path", Value: color, Order: ord},
		{Name: "q", In: "query", Value: color, Order: ord},
		{Name: "d", In: "query", Value: color, Order: ord},
		{Name: "X-C", In: "header", Value: color, Order: ord},
	}
	p, err := BuildRequest(op, "http://h", params, &Body{ContentType: "application/json", Value: color, Order: ord})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://h/c/R,100,G,200,B,150?R=100&G=200&B=150&d%5BR%5D=100&d%5BG%5D=200&d%5BB%5D=150"; p.URL != want {
		t.Errorf("URL:\n got %s\nwant %s", p.URL, want)
	}
	if got := p.Header.Get("X-C"); got != "R=100,G=200,B=150" {
		t.Errorf("header = %q", got)
	}
	if got := string(p.Body); got != `{"R":100,"G":200,"B":150}` {
		t.Errorf("JSON body = %s", got)
	}
	// Without an order, members are sorted by name.
	params[0].Order = nil
	p, err = BuildRequest(op, "http://h", params[:1], nil)
	if err != nil || p.URL != "http://h/c/B,150,G,200,R,100" {
		t.Errorf("unordered: %s %v", p.URL, err)
	}
	// Members added after the order was recorded follow, sorted; recorded
	// members that are gone are skipped.
	grown := map[string]any{"R": 1.0, "z": 2.0, "a": 3.0}
	stale := func(map[string]any) []string { return []string{"gone", "R"} }
	b, _, err := appendBody(nil, "application/x-www-form-urlencoded", grown, bodyOpts{ord: stale})
	if err != nil || string(b) != "R=1&a=3&z=2" {
		t.Errorf("form with a stale order: %s %v", b, err)
	}
}

func TestMultipartPartsFollowMemberOrder(t *testing.T) {
	v := map[string]any{"key": "k", "policy": "p", "file": []byte("data")}
	ord := func(map[string]any) []string { return []string{"key", "policy", "file"} }
	b, ct, err := appendBody(nil, "multipart/form-data; boundary=XX", v, bodyOpts{ord: ord})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	k, p, f := strings.Index(s, `name="key"`), strings.Index(s, `name="policy"`), strings.Index(s, `name="file"`)
	if !(k >= 0 && k < p && p < f) || ct != "multipart/form-data; boundary=XX" {
		t.Errorf("parts out of order (key %d, policy %d, file %d):\n%s", k, p, f, s)
	}
}

func TestXMLNames(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "_a-1.b": true, "Größe": true, "名前": true,
		"": false, "1a": false, "-a": false, "a b": false, "a:b": false,
		"\u0759": false, // a letter XML 1.0's name tables (and encoding/xml) do not know
		"a\xff":  false,
	} {
		if got := isXMLName(name); got != want {
			t.Errorf("isXMLName(%q) = %v, want %v", name, got, want)
		}
	}
}
