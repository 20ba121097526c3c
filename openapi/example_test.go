package openapi_test

import (
	"context"
	"fmt"

	"github.com/go-arazzo/arazzo/openapi"
)

const petstore = `openapi: 3.0.3
info: {title: Petstore, version: "1"}
servers:
  - url: https://petstore.example.com/{version}
    variables:
      version: {default: v1, enum: [v1, v2]}
paths:
  /pets/{petId}:
    get:
      operationId: showPetById
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, explode: false, schema: {type: array}}
`

func ExampleLoad() {
	doc, err := openapi.Load(context.Background(), []byte(petstore), "petstore.yaml", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range doc.Operations {
		fmt.Println(op.ID, op.Method, op.Path, op.Pointer)
	}
	// Output: showPetById GET /pets/{petId} /paths/~1pets~1{petId}/get
}

func ExampleDocument_OperationByPointer() {
	doc, _ := openapi.Load(context.Background(), []byte(petstore), "petstore.yaml", nil)
	for _, ptr := range []string{"#/paths/~1pets~1{petId}/get", "#/paths//pets/{petId}/GET", "#/paths/~1pets~1%7BpetId%7D/get"} {
		fmt.Println(doc.OperationByPointer(ptr).ID)
	}
	// Output:
	// showPetById
	// showPetById
	// showPetById
}

func ExampleNewRequest() {
	doc, _ := openapi.Load(context.Background(), []byte(petstore), "petstore.yaml", nil)
	op := doc.OperationByID("showPetById")
	base, _ := op.Servers[0].URLWith(nil)
	req, err := openapi.NewRequest(context.Background(), op, base, []openapi.ParamValue{
		{Name: "petId", In: "path", Value: "a/1"},
		{Name: "fields", In: "query", Value: []any{"name", "age"}},
		{Name: "X-Trace", In: "header", Value: 7.0},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Method, req.URL)
	fmt.Println(req.Header.Get("X-Trace"))
	// Output:
	// GET https://petstore.example.com/v1/pets/a%2F1?fields=name,age
	// 7
}

func ExampleEncodeBody() {
	b, ct, _ := openapi.EncodeBody("application/x-www-form-urlencoded", map[string]any{"name": "Rex the dog", "age": 3.0}, nil)
	fmt.Println(ct)
	fmt.Println(string(b))
	// Output:
	// application/x-www-form-urlencoded
	// age=3&name=Rex+the+dog
}

func ExampleServer_URLWith() {
	s := openapi.Server{
		URL:       "https://{region}.api.example.com/{version}",
		Variables: map[string]openapi.ServerVariable{"region": {Default: "eu"}, "version": {Default: "v1", Enum: []string{"v1", "v2"}}},
	}
	u, _ := s.URLWith(map[string]string{"version": "v2"})
	fmt.Println(u)
	_, err := s.URLWith(map[string]string{"version": "v3"})
	fmt.Println(err)
	// Output:
	// https://eu.api.example.com/v2
	// server URL "https://{region}.api.example.com/{version}": value "v3" for variable "version" is not one of its enum values ["v1" "v2"]
}

func ExampleResolveServerURL() {
	fmt.Println(openapi.ResolveServerURL("https://example.com/specs/bnpl.yaml", "/bnpl/v1"))
	fmt.Println(openapi.ResolveServerURL("specs/bnpl.yaml", "/bnpl/v1"))
	fmt.Println(openapi.ResolveServerURL("https://example.com/specs/bnpl.yaml", "https://api.example.com"))
	// Output:
	// https://example.com/bnpl/v1
	// /bnpl/v1
	// https://api.example.com
}
