#!/usr/bin/env node
console.log('toolgate');
