from jizhen.api.serve import main

main()
