"""Order pages, one module per topic: `orders` (booking and the customer's orders), `contracts`,
`jobs` (the provider's job page), `phone` (operators taking orders), `recurring`."""
