#!/bin/sh
exec node build/server/main.js
