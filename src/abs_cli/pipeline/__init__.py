"""The assembly line: stage moves and their gates, routing, the board and the queue."""
