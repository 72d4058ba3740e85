export * as Proto from "./Proto.js"
export * as UserService from "./UserService.js"
