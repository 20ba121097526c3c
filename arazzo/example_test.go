package arazzo_test

import (
	"fmt"

	"github.com/go-arazzo/arazzo/arazzo"
)

// Parse a document and validate it on its own (no source descriptions are
// loaded; use Load for that). Every finding carries file:line:col, a rule id
// and, usually, a hint.
func Example() {
	src := []byte(`arazzo: 1.0.1
info:
  title: Pets
  version: 1.0.0
sourceDescriptions:
  - name: petstore
    url: ./petstore.yaml
    type: openapi
workflows:
  - workflowId: adopt
    steps:
      - stepId: find
        operationId: findPets
        outputs:
          id: $response.body#/0/id
      - stepId: adopt
        operationId: adoptPet
        parameters:
          - name: petId
            in: path
            value: $steps.find.outputs.petId
`)
	doc, diags := arazzo.Parse("pets.arazzo.yaml", src)
	diags = append(diags, arazzo.ValidateDocument(doc, arazzo.ValidateOptions{})...)
	for _, d := range diags {
		fmt.Println(d)
		fmt.Println("  hint:", d.Hint)
	}
	// Output:
	// pets.arazzo.yaml:21:13: error: $steps.find.outputs.petId: step "find" has no output "petId" (outputs: id) [step-output-defined]
	//   hint: add "petId" to the outputs of step "find"
}
