// Package cmd wires monoctx's cobra commands: it parses and validates flags, calls the graph, ignore,
// buildctx and hook libraries, and renders their results. It computes nothing itself.
package cmd
