// Package winonly is imported by a windows-only file.
package winonly

// Name is the platform name.
const Name = "windows"
