package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/flowgraph"
)

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list FILE",
		Short: "List the workflows of a document with their inputs and outputs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := engine.Open(cmd.Context(), args[0], fileAccess())
			if err != nil {
				printDiagsText(cmd.ErrOrStderr(), args[0], diagsOf(args[0], err))
				return &exitError{code: exitInvalid}
			}
			w := cmd.OutOrStdout()
			for _, wf := range doc.Bundle.Document.Workflows {
				fmt.Fprintf(w, "%s", wf.WorkflowID)
				if wf.Summary != "" {
					fmt.Fprintf(w, " — %s", wf.Summary)
				}
				fmt.Fprintln(w)
				if names := inputNames(doc.Bundle.Document, wf); len(names) > 0 {
					fmt.Fprintf(w, "  inputs:  %s\n", strings.Join(names, ", "))
				}
				if len(wf.Outputs) > 0 {
					outs := make([]string, len(wf.Outputs))
					for i, o := range wf.Outputs {
						outs[i] = o.Name
					}
					fmt.Fprintf(w, "  outputs: %s\n", strings.Join(outs, ", "))
				}
				fmt.Fprintf(w, "  steps:   %d\n", len(wf.Steps))
			}
			return nil
		},
	}
}

// inputNames lists a workflow's inputs in document order (following
// $refs and allOf, as describe does), marking required ones with *.
func inputNames(d *arazzo.Document, w *arazzo.Workflow) []string {
	var names []string
	for _, in := range flowgraph.Inputs(d, w, nil) {
		n := in.Name
		if in.Required {
			n += "*"
		}
		names = append(names, n)
	}
	return names
}
