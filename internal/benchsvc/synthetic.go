package benchsvc

import (
	"fmt"
	"strconv"
	"strings"
)

// SyntheticOpenAPI returns an OpenAPI 3.0.3 description in JSON with ops
// operations (ops/2 paths, each with a GET and a PUT; operationIds op0,
// op1, …), every operation with parameters, a $ref'd schema in its
// responses and, for PUT, a request body: the large-description load
// benchmark's input.
func SyntheticOpenAPI(ops int) []byte {
	var b strings.Builder
	b.Grow(ops * 700)
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"Synthetic API (`)
	b.WriteString(strconv.Itoa(ops))
	b.WriteString(` operations)","version":"1.0"},"servers":[{"url":"http://127.0.0.1/v1"}],"paths":{`)
	for p := 0; p*2 < ops; p++ {
		if p > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"/group%d/resources%d/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],`, p%50, p)
		fmt.Fprintf(&b, `"get":{"operationId":"op%d","summary":"Read resource %d","parameters":[{"name":"verbose","in":"query","schema":{"type":"boolean"}},{"name":"X-Request-Id","in":"header","schema":{"type":"string"}}],"responses":{"200":{"description":"the resource","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Resource"}}}},"404":{"$ref":"#/components/responses/NotFound"}}}`, 2*p, p)
		if 2*p+1 < ops {
			fmt.Fprintf(&b, `,"put":{"operationId":"op%d","summary":"Replace resource %d","requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Resource"}}}},"responses":{"200":{"description":"replaced","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Resource"}}}},"404":{"$ref":"#/components/responses/NotFound"}}}`, 2*p+1, p)
		}
		b.WriteByte('}')
	}
	b.WriteString(`},"components":{"schemas":{"Resource":{"type":"object","required":["id","status"],"properties":{"id":{"type":"string"},"status":{"type":"string","enum":["ready","busy"]},"size":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}}},"Error":{"type":"object","properties":{"message":{"type":"string"}}}},`)
	b.WriteString(`"responses":{"NotFound":{"description":"no such resource","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}}}`)
	return []byte(b.String())
}

// SyntheticArazzo returns an Arazzo document whose source is the OpenAPI
// description at openapiURL (relative to the document) and whose workflow
// "readOne" reads one resource through operationID: one step that sets
// each of pathParams (default "id") to the input id, one criterion, one
// output.
func SyntheticArazzo(openapiURL, operationID string, pathParams ...string) []byte {
	if len(pathParams) == 0 {
		pathParams = []string{"id"}
	}
	var params strings.Builder
	for _, p := range pathParams {
		params.WriteString("          - {name: " + p + ", in: path, value: $inputs.id}\n")
	}
	return []byte(`arazzo: 1.0.1
info: {title: Large description (benchmark workload), version: 1.0.0}
sourceDescriptions:
  - {name: big, url: ` + strconv.Quote(openapiURL) + `, type: openapi}
workflows:
  - workflowId: readOne
    inputs:
      type: object
      properties: {id: {type: string}}
    steps:
      - stepId: read
        operationId: ` + operationID + `
        parameters:
` + params.String() + `        successCriteria:
          - condition: $response.body#/status == 'ready'
        outputs:
          size: $response.body#/size
    outputs:
      size: $steps.read.outputs.size
`)
}
