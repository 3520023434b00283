//go:build !linux && !windows

package auth

func platform() string { return "other" }
