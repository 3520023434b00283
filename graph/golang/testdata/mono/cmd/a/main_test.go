package main

import (
	"testing"

	"example.com/mono/internal/testonly"
)

func TestMain(t *testing.T) { _ = testonly.X }
